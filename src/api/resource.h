// Generic Vapi-style CRUD for JSON document resources.
//
//   registerCrud(router, {.kind = "assistant", .path = "/assistant", .label = "Assistant",
//                         .createSchema = "CreateAssistantDTO",
//                         .updateSchema = "UpdateAssistantDTO"});
//
// gives POST /assistant (201), GET /assistant (bare array, limit + date filters, newest
// first), GET/PATCH/DELETE /assistant/:id with Vapi's semantics: PATCH replaces top-level
// keys (null removes one), DELETE returns the deleted object, another org's id is 404.
#pragma once
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/router.h"
#include "store/store.h"

namespace voxa::api {

struct ResourceSpec {
    std::string kind;          // stored kind, e.g. "assistant"
    std::string path;          // "/assistant"
    std::string label;         // "Assistant" (for messages)
    std::string createSchema;  // schema name for POST bodies
    std::string updateSchema;  // schema name for PATCH bodies
    /// For unions (tool "type", phone-number "provider"): PATCH validates with the
    /// stored value when the body omits it, and refuses to change it.
    std::string discriminator;
    /// Paginated twin (e.g. "/v2/phone-number") returning {results, metadata}; empty = none.
    std::string v2Path;
    /// Checks beyond the schema on a create body and a PATCH body (as sent, nulls dropped):
    /// returns class-validator style messages, refused as 400 like schema errors.
    std::function<std::vector<std::string>(const boost::json::object&)> check;
    /// Fills defaults / derived fields on create (after validation, id etc. set).
    std::function<void(boost::json::object&, RequestContext&)> onCreate;
    /// Runs after a PATCH merge (e.g. re-derive fields).
    std::function<void(boost::json::object&, RequestContext&)> onUpdate;
    /// Fills the indexed attributes a1..a3 of the stored row.
    std::function<void(const boost::json::object&, store::Resource&)> attrs;
    /// Adds resource-specific list filters from the query string.
    std::function<void(RequestContext&, store::ListQuery&)> listFilter;
    /// Query parameters listFilter reads (others are rejected, as Vapi's DTOs do).
    std::vector<std::string> listParams;
    /// Shapes the stored object for output (e.g. hide secrets).
    std::function<void(boost::json::object&)> present;
    /// Runs before delete (e.g. remove a stored file); may throw ApiError.
    std::function<void(const boost::json::object&, RequestContext&)> onDelete;
    /// Whether to register POST on `path` (files use their own multipart handler).
    bool genericCreate = true;
};

void registerCrud(Router& router, ResourceSpec spec);

/// The paginated listing ({results, metadata}; page, sortOrder, search, limit and date
/// filters) of spec->kind, as served on spec->v2Path.
Awaitable listPage(RequestContext& rc, std::shared_ptr<const ResourceSpec> spec);

/// Helpers shared by resources ------------------------------------------------------------

/// Validates `body` against `schema`, throwing ApiError 400 with the messages.
void validateOrThrow(const std::string& schema, const boost::json::object& body);
/// Drops top-level nulls (class-validator treats them as absent on create).
void dropNulls(boost::json::object& o);
/// Parses limit / createdAt* / updatedAt* from the query string (400 on bad values).
/// Any parameter not in the common set or `extra` is refused ("property x should not exist").
store::ListQuery parseListQuery(RequestContext& rc, const std::vector<std::string>& extra = {});
/// Loads a resource of this org or throws 404 (400 for a malformed id).
boost::asio::awaitable<store::Resource> loadOr404(RequestContext& rc, const std::string& kind,
                                                  const std::string& label,
                                                  std::string_view id);
boost::json::object parseObject(const std::string& text);

}  // namespace voxa::api

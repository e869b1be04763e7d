// /org: the caller's organisation (Vapi's dashboard endpoints). An API key belongs to
// exactly one org, so GET /org lists that one and other ids are 404.
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/resources.h"
#include "common/offload.h"
#include "common/time.h"

namespace voxa::api {

namespace json = boost::json;

static void validateOrgPatch(const json::object& body) {
    std::vector<std::string> errors;
    for (auto& kv : body) {
        std::string_view k = kv.key();
        const json::value& v = kv.value();
        if (k == "name") {
            if (!v.is_string() && !v.is_null()) errors.push_back("name must be a string");
            else if (v.is_string() && v.as_string().size() > 40)
                errors.push_back("name must be shorter than or equal to 40 characters");
        } else if (k == "server" || k == "compliancePlan" || k == "metadata") {
            if (!v.is_object() && !v.is_null()) errors.push_back(std::string(k) + " must be an object");
        } else if (k == "serverUrl" || k == "serverUrlSecret" || k == "channel" ||
                   k == "billingEmail") {
            if (!v.is_string() && !v.is_null()) errors.push_back(std::string(k) + " must be a string");
        } else if (k == "concurrencyLimit" || k == "billingLimit") {
            if (!v.is_number() && !v.is_null())
                errors.push_back(std::string(k) +
                                 " must be a number conforming to the specified constraints");
        } else if (k == "hipaaEnabled") {
            if (!v.is_bool() && !v.is_null()) errors.push_back("hipaaEnabled must be a boolean value");
        } else {
            errors.push_back("property " + std::string(k) + " should not exist");
        }
    }
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
}

static asio::awaitable<store::Org> loadOrg(RequestContext& rc, std::string_view id) {
    if (id != rc.orgId()) throw ApiError::notFound("Org not found");
    auto& store = rc.ctx.store;
    std::string org = rc.orgId();
    auto o = co_await offload(rc.ctx.dbPool, [&] { return store.getOrg(org); });
    if (!o) throw ApiError::notFound("Org not found");
    co_return std::move(*o);
}

void registerOrgs(Router& router) {
    router.add("GET", "/org", [](RequestContext& rc) -> Awaitable {
        auto o = co_await loadOrg(rc, rc.orgId());
        co_return jsonResponse(200, json::array{parseObject(o.body)});
    });
    router.add("GET", "/org/:id", [](RequestContext& rc) -> Awaitable {
        auto o = co_await loadOrg(rc, rc.param("id"));
        co_return jsonResponse(200, parseObject(o.body));
    });
    router.add("PATCH", "/org/:id", [](RequestContext& rc) -> Awaitable {
        json::object patch = rc.jsonBody();
        validateOrgPatch(patch);
        auto org = co_await loadOrg(rc, rc.param("id"));
        auto body = parseObject(org.body);
        for (auto& kv : patch) {
            if (kv.value().is_null()) body.erase(kv.key());
            else body[kv.key()] = kv.value();
        }
        if (auto* n = body.if_contains("name"); n && n->is_string())
            org.name = std::string(n->as_string());
        org.updatedAt = isoNow();
        body["updatedAt"] = org.updatedAt;
        org.body = json::serialize(body);
        auto& store = rc.ctx.store;
        co_await offload(rc.ctx.dbPool, [&] { return store.updateOrg(org); });
        co_return jsonResponse(200, body);
    });
}

}  // namespace voxa::api

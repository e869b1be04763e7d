// /token: API keys of the caller's org. A key's value is returned once, on creation.
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/resources.h"
#include "common/ids.h"
#include "common/offload.h"

namespace voxa::api {

namespace json = boost::json;

void registerTokens(Router& router) {
    router.add("POST", "/token", [](RequestContext& rc) -> Awaitable {
        json::object body = rc.jsonBody();
        std::vector<std::string> errors;
        std::string tag = "private", name;
        for (auto& kv : body) {
            std::string_view k = kv.key();
            if (k == "tag") {
                if (!kv.value().is_string() ||
                    (kv.value().as_string() != "private" && kv.value().as_string() != "public"))
                    errors.push_back("tag must be one of the following values: private, public");
                else
                    tag = std::string(kv.value().as_string());
            } else if (k == "name") {
                if (!kv.value().is_string()) errors.push_back("name must be a string");
                else name = std::string(kv.value().as_string());
            } else if (k == "restrictions") {
                if (!kv.value().is_object()) errors.push_back("restrictions must be an object");
            } else {
                errors.push_back("property " + std::string(k) + " should not exist");
            }
        }
        if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
        auto& auth = rc.ctx.auth;
        std::string org = rc.orgId();
        auto created = co_await offload(rc.ctx.dbPool,
                                        [&] { return auth.createKey(org, tag, name); });
        co_return net::HttpResponse::json(201, auth::Auth::keyJson(created.key, created.secret));
    });
    router.add("GET", "/token", [](RequestContext& rc) -> Awaitable {
        auto& store = rc.ctx.store;
        std::string org = rc.orgId();
        auto keys = co_await offload(rc.ctx.dbPool, [&] { return store.listKeys(org); });
        json::array out;
        for (auto& k : keys) out.emplace_back(json::parse(auth::Auth::keyJson(k)));
        co_return jsonResponse(200, out);
    });
    router.add("GET", "/token/:id", [](RequestContext& rc) -> Awaitable {
        if (!isUuid(rc.param("id"))) throw ApiError::badRequest("Validation failed (uuid is expected)");
        auto& store = rc.ctx.store;
        std::string org = rc.orgId(), id(rc.param("id"));
        auto k = co_await offload(rc.ctx.dbPool, [&] { return store.getKey(org, id); });
        if (!k) throw ApiError::notFound("Token not found");
        co_return net::HttpResponse::json(200, auth::Auth::keyJson(*k));
    });
    router.add("DELETE", "/token/:id", [](RequestContext& rc) -> Awaitable {
        if (!isUuid(rc.param("id"))) throw ApiError::badRequest("Validation failed (uuid is expected)");
        auto& store = rc.ctx.store;
        auto& auth = rc.ctx.auth;
        std::string org = rc.orgId(), id(rc.param("id"));
        auto k = co_await offload(rc.ctx.dbPool, [&] {
            auto key = store.getKey(org, id);
            if (key) auth.revokeKey(org, id);
            return key;
        });
        if (!k) throw ApiError::notFound("Token not found");
        co_return net::HttpResponse::json(200, auth::Auth::keyJson(*k));
    });
}

}  // namespace voxa::api

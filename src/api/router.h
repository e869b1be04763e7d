// Router: method + path pattern -> handler. Patterns use ":name" segments.
//
//   router.add("GET", "/assistant/:id", [](RequestContext& rc) -> Awaitable {
//       co_return json(200, load(rc.param("id")));
//   }, Access::Private);
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.h"
#include "auth/auth.h"
#include "net/http.h"

namespace voxa::api {

/// Who may call a route.
enum class Access {
    None,     // no key (health, metrics)
    Public,   // public or private key (web calls)
    Private,  // private key only (everything else)
};

struct RequestContext {
    net::HttpRequest& req;
    ApiContext& ctx;
    auth::Principal principal;
    std::vector<std::pair<std::string, std::string>> params;
    std::string route;  // the matched pattern, for metrics

    std::string_view param(std::string_view name) const {
        for (auto& [k, v] : params)
            if (k == name) return v;
        return {};
    }
    /// Decoded query parameter (first occurrence).
    std::optional<std::string> query(std::string_view name) const;
    /// Decoded names of all query parameters, in order.
    std::vector<std::string> queryKeys() const;
    /// The JSON body as an object; throws ApiError 400 if it is not valid JSON / not an object,
    /// 415 if a body or Content-Type is there and the type is not application/json (or +json).
    boost::json::object jsonBody() const;
    const std::string& orgId() const { return principal.orgId; }
};

using Awaitable = boost::asio::awaitable<net::HttpResponse>;
using RouteHandler = std::function<Awaitable(RequestContext&)>;

class Router {
public:
    void add(std::string method, std::string pattern, RouteHandler h,
             Access access = Access::Private);

    struct Match {
        const RouteHandler* handler = nullptr;
        Access access = Access::Private;
        std::string pattern;
        std::vector<std::pair<std::string, std::string>> params;
        bool pathMatched = false;  // some route matched the path (for 405 vs 404)
    };
    Match match(std::string_view method, std::string_view path) const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        RouteHandler handler;
        Access access;
    };
    std::vector<Route> routes_;
};

/// Serializes a JSON value into a response.
net::HttpResponse jsonResponse(int status, const boost::json::value& v);

}  // namespace voxa::api

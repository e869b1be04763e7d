// /health (liveness), /health/ready (database round trip), /metrics (Prometheus text).
#include <boost/json.hpp>

#include "api/resources.h"
#include "common/offload.h"

namespace voxa::api {

void registerHealth(Router& router, Api& api) {
    router.add(
        "GET", "/health",
        [](RequestContext&) -> Awaitable {
            co_return net::HttpResponse::json(200, R"({"status":"ok"})");
        },
        Access::None);
    router.add(
        "GET", "/health/ready",
        [](RequestContext& rc) -> Awaitable {
            auto& store = rc.ctx.store;
            bool ok = false;
            try {
                ok = co_await offload(rc.ctx.dbPool, [&] { return store.ping(); });
            } catch (const std::exception&) {
                ok = false;
            }
            boost::json::object body{{"status", ok ? "ok" : "unavailable"},
                                     {"database", store.dialect()}};
            co_return jsonResponse(ok ? 200 : 503, body);
        },
        Access::None);
    router.add(
        "GET", "/metrics",
        [&api](RequestContext&) -> Awaitable {
            co_return net::HttpResponse::text(200, api.metricsText(),
                                              "text/plain; version=0.0.4; charset=utf-8");
        },
        Access::None);
}

}  // namespace voxa::api

// GET /logs: Vapi's (legacy) paginated log listing. Voxa records one "Webhook" log per
// delivery attempt of a server message (webhooks/webhooks.h): status code, latency,
// request and response bodies, the event id and the attempt number.
//
//   GET /logs?type=Webhook&callId=<id>&webhookType=end-of-call-report&page=1&limit=50
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/resources.h"

namespace voxa::api {

namespace json = boost::json;

void registerLogs(Router& router) {
    auto spec = std::make_shared<ResourceSpec>();
    spec->kind = "log";
    spec->path = "/logs";
    spec->label = "Log";
    spec->listParams = {"type", "webhookType", "callId", "assistantId", "phoneNumberId",
                        "customerId", "squadId"};
    spec->listFilter = [](RequestContext& rc, store::ListQuery& q) {
        if (auto v = rc.query("callId"); v && !v->empty()) q.a1 = *v;
        if (auto v = rc.query("type"); v && !v->empty()) {
            static const char* kTypes[] = {"API", "Webhook", "Call", "Provider"};
            bool known = false;
            for (auto* t : kTypes) known = known || *v == t;
            if (!known)
                throw ApiError::badRequest(std::vector<std::string>{
                    "type must be one of the following values: API, Webhook, Call, Provider"});
            q.a2 = *v;
        }
        if (auto v = rc.query("webhookType"); v && !v->empty()) q.a3 = *v;
    };
    std::shared_ptr<const ResourceSpec> cspec = spec;
    router.add("GET", "/logs", [cspec](RequestContext& rc) { return listPage(rc, cspec); });
}

}  // namespace voxa::api

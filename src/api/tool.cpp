// /tool: Vapi's tools, a union discriminated by "type" (function, endCall, transferCall,
// dtmf, apiRequest, ...).
#include <boost/json.hpp>

#include "api/resources.h"

namespace voxa::api {

void registerTools(Router& router) {
    registerCrud(router, {.kind = "tool",
                          .path = "/tool",
                          .label = "Tool",
                          .createSchema = "CreateToolDTO",
                          .updateSchema = "UpdateToolDTO",
                          .discriminator = "type",
                          .attrs = [](const boost::json::object& o, store::Resource& r) {
                              if (auto* t = o.if_contains("type"); t && t->is_string())
                                  r.a1 = std::string(t->as_string());
                          }});
}

}  // namespace voxa::api

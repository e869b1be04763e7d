// /credential: provider credentials (discriminated by "provider"). Secrets are stored and
// used by the server but never returned, as on Vapi.
#include <boost/json.hpp>

#include "api/resources.h"
#include "api/secrets.h"

namespace voxa::api {

namespace json = boost::json;

/// Drops every secret field (api/secrets.h) under `v`: a credential's keys are used by the
/// server and never returned, to anyone.
static void hideSecrets(json::value& v) {
    if (v.is_object()) {
        auto& o = v.as_object();
        for (auto it = o.begin(); it != o.end();) {
            if (isSecretKey(it->key())) {
                it = o.erase(it);
            } else {
                hideSecrets(it->value());
                ++it;
            }
        }
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) hideSecrets(e);
    }
}

void registerCredentials(Router& router) {
    registerCrud(router, {.kind = "credential",
                          .path = "/credential",
                          .label = "Credential",
                          .createSchema = "CreateCredentialDTO",
                          .updateSchema = "UpdateCredentialDTO",
                          .discriminator = "provider",
                          .attrs = [](const json::object& o, store::Resource& r) {
                              if (auto* p = o.if_contains("provider"); p && p->is_string())
                                  r.a1 = std::string(p->as_string());
                          },
                          .present = [](json::object& o) {
                              json::value v(std::move(o));
                              hideSecrets(v);
                              o = std::move(v.as_object());
                          }});
}

}  // namespace voxa::api

// /credential: provider credentials (discriminated by "provider"). Secrets are stored and
// used by the server but never returned, as on Vapi.
#include <boost/json.hpp>

#include <array>

#include "api/resources.h"

namespace voxa::api {

namespace json = boost::json;

static void hideSecrets(json::value& v) {
    static constexpr std::array<std::string_view, 12> kSecret = {
        "apiKey",    "authToken",  "apiSecret",  "secretKey",   "clientSecret", "password",
        "authPassword", "privateKey", "token",    "secretAccessKey", "serviceKey", "apiToken"};
    if (v.is_object()) {
        auto& o = v.as_object();
        for (auto it = o.begin(); it != o.end();) {
            bool secret = false;
            for (auto s : kSecret)
                if (it->key() == s) secret = true;
            if (secret) {
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

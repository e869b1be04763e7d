// /phone-number (+ paginated /v2/phone-number): a union discriminated by "provider"
// (vapi, twilio, vonage, telnyx, byo-phone-number). A vapi number's sipUri may name any
// host; its user part is indexed (a2) so inbound SIP can be routed to the number.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "api/resources.h"
#include "common/ids.h"

namespace voxa::api {

namespace json = boost::json;

/// "sip:Alice@pbx.example.com;transport=udp" -> "alice"
static std::string sipUser(std::string_view uri) {
    if (uri.starts_with("sip:")) uri.remove_prefix(4);
    else if (uri.starts_with("sips:")) uri.remove_prefix(5);
    auto at = uri.find('@');
    if (at == std::string_view::npos) return {};
    std::string user(uri.substr(0, at));
    std::transform(user.begin(), user.end(), user.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return user;
}

// The ids a number refers to are UUIDs, as Vapi's DTOs require: "" is not "none".
static std::vector<std::string> checkIds(const json::object& o) {
    std::vector<std::string> errors;
    for (auto* k : {"assistantId", "squadId", "workflowId", "credentialId"})
        if (auto* v = o.if_contains(k); v && v->is_string() && !isUuid(v->as_string()))
            errors.push_back(std::string(k) + " must be a UUID");
    return errors;
}

void registerPhoneNumbers(Router& router) {
    registerCrud(router, {.kind = "phone-number",
                          .path = "/phone-number",
                          .label = "Phone Number",
                          .createSchema = "CreatePhoneNumberDTO",
                          .updateSchema = "UpdatePhoneNumberDTO",
                          .discriminator = "provider",
                          .v2Path = "/v2/phone-number",
                          .check = checkIds,
                          .onCreate = [](json::object& o, RequestContext&) {
                              if (!o.contains("status")) o["status"] = "active";
                          },
                          .attrs = [](const json::object& o, store::Resource& r) {
                              if (auto* n = o.if_contains("number"); n && n->is_string())
                                  r.a1 = std::string(n->as_string());
                              if (auto* s = o.if_contains("sipUri"); s && s->is_string())
                                  r.a2 = sipUser(s->as_string());
                              if (auto* p = o.if_contains("provider"); p && p->is_string())
                                  r.a3 = std::string(p->as_string());
                          }});
}

}  // namespace voxa::api

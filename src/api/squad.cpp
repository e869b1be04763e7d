// /squad: Vapi's squads (members with assistantId or an inline assistant).
#include <boost/json.hpp>

#include "api/errors.h"
#include "api/resources.h"

namespace voxa::api {

void registerSquads(Router& router) {
    registerCrud(router, {.kind = "squad",
                          .path = "/squad",
                          .label = "Squad",
                          .createSchema = "CreateSquadDTO",
                          .updateSchema = "UpdateSquadDTO",
                          .listFilter = [](RequestContext& rc, store::ListQuery& q) {
                              auto any = rc.query("idAny");
                              if (!any || any->empty()) return;
                              std::string_view s = *any;
                              while (!s.empty()) {
                                  size_t c = s.find(',');
                                  std::string id(s.substr(0, c));
                                  if (!id.empty()) q.idAny.push_back(id);
                                  if (c == std::string_view::npos) break;
                                  s.remove_prefix(c + 1);
                              }
                          },
                          .listParams = {"idAny"}});
}

}  // namespace voxa::api

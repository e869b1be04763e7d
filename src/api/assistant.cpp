// /assistant: Vapi's assistants (CreateAssistantDTO / UpdateAssistantDTO).
#include <boost/json.hpp>

#include "api/resources.h"

namespace voxa::api {

void registerAssistants(Router& router) {
    registerCrud(router, {.kind = "assistant",
                          .path = "/assistant",
                          .label = "Assistant",
                          .createSchema = "CreateAssistantDTO",
                          .updateSchema = "UpdateAssistantDTO"});
}

}  // namespace voxa::api

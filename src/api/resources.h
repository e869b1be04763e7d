// The resource registry: one function per resource file, listed once in api.cpp.
#pragma once
#include "api/resource.h"
#include "api/router.h"

namespace voxa::api {

void registerHealth(Router& router, class Api& api);
void registerAssistants(Router& router);
void registerTools(Router& router);
void registerSquads(Router& router);
void registerPhoneNumbers(Router& router);
void registerFiles(Router& router);
void registerCredentials(Router& router);
void registerOrgs(Router& router);
void registerTokens(Router& router);
void registerCalls(Router& router);
void registerLogs(Router& router);
void registerTwilio(Router& router);
void registerSessions(Router& router);
void registerMembers(Router& router);
void registerAnalytics(Router& router);

/// The dashboard's static files for a GET that matched no route (nullopt = not a file).
boost::asio::awaitable<std::optional<net::HttpResponse>> serveWebFile(RequestContext& rc);

}  // namespace voxa::api

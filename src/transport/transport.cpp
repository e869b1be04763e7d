#include "transport/transport.h"

#include <boost/asio/co_spawn.hpp>

#include <cctype>
#include <utility>

#include "common/ids.h"
#include "common/offload.h"
#include "common/url.h"
#include "transport/listen/listen.h"
#include "transport/twilio/twilio_transport.h"
#include "transport/ws/ws_transport.h"

namespace voxa::transport {

namespace asio = boost::asio;

namespace {

// "/<uuid>/transport" -> uuid, else empty.
std::string callIdFor(std::string_view path, std::string_view suffix) {
    if (path.size() != 1 + 36 + 1 + suffix.size() || path[0] != '/') return {};
    std::string_view id = path.substr(1, 36);
    if (!isUuid(id) || path.substr(37, 1) != "/" || path.substr(38) != suffix) return {};
    return std::string(id);
}

// "/<uuid>/<secret>/listen" -> {uuid, secret}, else empty. The secret is the call's
// monitor secret (monitor.listenUrl); a path without one matches nothing (404).
std::pair<std::string, std::string> monitorPathFor(std::string_view path, std::string_view suffix) {
    constexpr size_t kMaxSecret = 64;
    if (path.size() < 1 + 36 + 1 + 1 + 1 + suffix.size() || path[0] != '/') return {};
    std::string_view id = path.substr(1, 36);
    if (!isUuid(id) || path[37] != '/') return {};
    std::string_view rest = path.substr(38);
    if (rest.size() <= suffix.size() + 1 || !rest.ends_with(suffix) ||
        rest[rest.size() - suffix.size() - 1] != '/')
        return {};
    std::string_view secret = rest.substr(0, rest.size() - suffix.size() - 1);
    if (secret.empty() || secret.size() > kMaxSecret) return {};
    for (char c : secret)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return {};
    return {std::string(id), std::string(secret)};
}

}  // namespace

net::UpgradeHandler makeUpgradeHandler(call::CallManager& calls, auth::Auth& auth,
                                       asio::thread_pool& dbPool) {
    return [&calls, &auth, &dbPool](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
        std::string bearerOrg;
        if (auto key = auth::bearerToken(req.header("authorization")); !key.empty()) {
            std::string secret(key);
            auto p = co_await offload(dbPool, [&] { return auth.lookup(secret); });
            if (p && p->isPrivate()) bearerOrg = p->orgId;
        }
        // monitor.listenUrl (/<callId>/<secret>/listen): the call's audio, live. Without the
        // call's secret the answer is 404, as for a call that does not exist; with
        // monitorPlan.listenAuthenticationEnabled a private key of the call's org as well.
        if (auto listenPath = monitorPathFor(req.path, "listen"); !listenPath.first.empty()) {
            std::string id = listenPath.first;
            auto m = calls.monitor(id, listenPath.second);
            if (!m || (m->listenAuth && bearerOrg != m->orgId)) co_return std::nullopt;
            co_return net::WsHandler([&calls, id](std::shared_ptr<net::WsConnection> ws) {
                return listen::serve(std::move(ws), calls, id);
            });
        }
        // Twilio Media Streams: the token arrives in the stream's "start" message.
        if (std::string id = callIdFor(req.path, "twilio"); !id.empty()) {
            if (!calls.active(id)) co_return std::nullopt;
            co_return net::WsHandler([&calls, id](std::shared_ptr<net::WsConnection> ws) {
                return twilio::serve(std::move(ws), calls, id);
            });
        }
        std::string callId = callIdFor(req.path, "transport");
        if (callId.empty()) co_return std::nullopt;
        std::string token = url::queryParam(req.query, "token").value_or("");
        if (!calls.canAttach(callId, token, bearerOrg)) co_return std::nullopt;
        co_return net::WsHandler([&calls, callId, token, bearerOrg](std::shared_ptr<net::WsConnection> ws) {
            return ws::serve(std::move(ws), calls, callId, token, bearerOrg);
        });
    };
}

}  // namespace voxa::transport

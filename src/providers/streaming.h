// Shared pieces of the providers that stream over a WebSocket API (deepgram today; the
// next cloud transcribers and voices use the same): the key, the connect, and what a failed
// connect means for the call.
//
//   std::string key = providers::apiKey(ctx, "deepgram");        // "" -> FailureCause::MissingKey
//   auto ep = providers::endpoint("deepgram", ctx, "https://api.deepgram.com");
//   auto r = co_await net::openWebSocket(providers::websocketUrl(ep.url) + "/v1/listen?...",
//                                        {{"Authorization", "Token " + key}}, ep.source);
//   if (!r.ok()) cb.onError({providers::connectFailure(r), r.message});   // 401 -> Unauthorized
//   spdlog::warn("... {}", providers::printable(serverText));             // never raw bytes
#pragma once
#include <string>
#include <string_view>

#include "net/websocket.h"
#include "providers/providers.h"

namespace voxa::providers {

/// The key resolved for `provider` in this call (providers/credentials.h), or "".
std::string apiKey(const Context& ctx, std::string_view provider);

/// A refused upgrade by its status (400, 401, 402/403, 404, 5xx); anything else that kept
/// the connection from opening (DNS, refused, TLS, egress policy, timeout) is ConnectFailed.
FailureCause connectFailure(const net::WsConnectResult& r);

/// At most `max` characters of `s` with control and non-ASCII bytes as '?', for logs.
std::string printable(std::string_view s, size_t max = 120);

}  // namespace voxa::providers

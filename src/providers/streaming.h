// Shared pieces of the cloud providers (WebSocket APIs such as deepgram's, HTTP ones such as
// custom-voice's and OpenAI's audio endpoints): the key, the connect, and what a failed
// connect or request means for the call.
//
//   std::string key = providers::apiKey(ctx, "deepgram");        // "" -> FailureCause::MissingKey
//   auto ep = providers::endpoint("deepgram", ctx, "https://api.deepgram.com");
//   auto r = co_await net::openWebSocket(providers::websocketUrl(ep.url) + "/v1/listen?...",
//                                        {{"Authorization", "Token " + key}}, ep.source);
//   if (!r.ok()) cb.onError({providers::connectFailure(r), r.message});   // 401 -> Unauthorized
//   spdlog::warn("... {}", providers::printable(serverText));             // never raw bytes
//
//   auto h = co_await net::fetch(std::move(req), onChunk, cancel);         // an HTTP API
//   if (!h.success()) cb.onFailure({providers::httpFailure(h, gotBytes), ...});
#pragma once
#include <string>
#include <string_view>

#include "net/http_client.h"
#include "net/websocket.h"
#include "providers/providers.h"

namespace voxa::providers {

/// The key resolved for `provider` in this call (providers/credentials.h), or "".
std::string apiKey(const Context& ctx, std::string_view provider);

/// A refused upgrade by its status (400, 401, 402/403, 404, 5xx); anything else that kept
/// the connection from opening (DNS, refused, TLS, egress policy, timeout) is ConnectFailed.
FailureCause connectFailure(const net::WsConnectResult& r);

/// A failed HTTP exchange (not ok(), or a non-2xx status): a timeout -> Timeout; the
/// connection broken once the answer had begun (`gotBytes` of the body, or a status line) ->
/// Disconnected; no connection (DNS, refused, TLS, egress policy, closed before any answer) ->
/// ConnectFailed; else by status: 400, 401, 402/403, 404, 5xx -> their causes, others Other.
FailureCause httpFailure(const net::HttpClientResult& r, bool gotBytes);

/// At most `max` characters of `s` with control and non-ASCII bytes as '?', for logs.
std::string printable(std::string_view s, size_t max = 120);

}  // namespace voxa::providers

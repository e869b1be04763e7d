// Provider API base URLs: where a provider session connects, and who chose that address.
//
//   // once, at start (voxa serve --provider-url deepgram=http://10.0.0.7:8080, or
//   // VOXA_PROVIDER_URLS="deepgram=http://10.0.0.7:8080,openai=http://127.0.0.1:8000/v1"):
//   providers::setOperatorUrls(providers::parseProviderUrls({"deepgram=http://10.0.0.7:8080"}));
//
//   // in a provider session:
//   auto ep = providers::endpoint("deepgram", ctx, "https://api.deepgram.com");
//   ep.url     // 1. the org credential's apiUrl (ctx.credentials["deepgram"].apiUrl),
//              // 2. else the operator's URL for "deepgram", 3. else the default
//   ep.source  // OrgConfig for 1 (held to the egress policy), Operator for 2 and 3
//   co_await net::connectWebSocket(providers::websocketUrl(ep.url) + "/v1/listen?...", headers,
//                                  ep.source);          // http -> ws, https -> wss
//
// NAME is Vapi's provider name: deepgram, assembly-ai, openai, 11labs, cartesia, groq, ...
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/egress.h"
#include "providers/providers.h"

namespace voxa::providers {

struct Endpoint {
    std::string url;  // base URL without a trailing slash
    net::UrlSource source = net::UrlSource::Operator;
};

/// "NAME=URL" entries (each may itself be a comma-separated list) -> NAME -> URL. Throws
/// std::invalid_argument naming the bad entry (no '=', empty name, not http(s)/ws(s)).
std::map<std::string, std::string> parseProviderUrls(const std::vector<std::string>& entries);

/// The process-wide operator overrides. Set once at start; tests may set them again.
void setOperatorUrls(std::map<std::string, std::string> urls);
std::map<std::string, std::string> operatorUrls();

/// Where `provider` is reached for this call (see the example above).
Endpoint endpoint(std::string_view provider, const Context& ctx, std::string_view defaultUrl);

/// http:// -> ws://, https:// -> wss:// (ws:// and wss:// unchanged); no trailing slash.
std::string websocketUrl(std::string_view url);

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string queryEscape(std::string_view s);

}  // namespace voxa::providers

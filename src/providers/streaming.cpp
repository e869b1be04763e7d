#include "providers/streaming.h"

namespace voxa::providers {

std::string apiKey(const Context& ctx, std::string_view provider) {
    auto it = ctx.credentials.find(std::string(provider));
    return it == ctx.credentials.end() ? std::string() : it->second.apiKey;
}

FailureCause connectFailure(const net::WsConnectResult& r) {
    if (r.error != net::WsConnectResult::Error::Rejected) return FailureCause::ConnectFailed;
    switch (r.status) {
        case 400: return FailureCause::BadRequest;
        case 401: return FailureCause::Unauthorized;
        case 402:
        case 403: return FailureCause::Forbidden;
        case 404: return FailureCause::NotFound;
        case 429: return FailureCause::RateLimited;
        default: return r.status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
}

FailureCause httpFailure(const net::HttpClientResult& r, bool gotBytes) {
    using E = net::HttpClientResult::ErrorKind;
    switch (r.errorKind) {
        case E::None: break;
        case E::Timeout: return FailureCause::Timeout;
        case E::Io:
        case E::Protocol: return gotBytes || r.status ? FailureCause::Disconnected : FailureCause::ConnectFailed;
        default: return FailureCause::ConnectFailed;
    }
    switch (r.status) {
        case 400: return FailureCause::BadRequest;
        case 401: return FailureCause::Unauthorized;
        case 402:
        case 403: return FailureCause::Forbidden;
        case 404: return FailureCause::NotFound;
        case 429: return FailureCause::RateLimited;
        default: return r.status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
}

std::string printable(std::string_view s, size_t max) {
    std::string out;
    for (char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (s.size() > max) out += "...";
    return out;
}

}  // namespace voxa::providers

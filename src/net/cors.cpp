#include "net/cors.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace voxa::net {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool hostChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::optional<std::string> CorsPolicy::originOf(std::string_view url) {
    auto sep = url.find("://");
    if (sep == std::string_view::npos || url.size() > 2048) return std::nullopt;
    std::string scheme = lower(url.substr(0, sep));
    if (scheme != "http" && scheme != "https") return std::nullopt;
    auto rest = url.substr(sep + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view host = authority, port;
    bool hasPort = false;
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]
        auto close = authority.find(']');
        if (close == std::string_view::npos || close < 3) return std::nullopt;
        host = authority.substr(0, close + 1);
        for (char c : host.substr(1, host.size() - 2))
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                return std::nullopt;
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
            hasPort = true;
        }
    } else {
        auto colon = authority.find(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            hasPort = true;
        }
        if (!std::all_of(host.begin(), host.end(), hostChar)) return std::nullopt;
    }
    if (host.empty()) return std::nullopt;
    std::string out = scheme + "://" + lower(host);
    if (hasPort) {
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(),
                         [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        int n = std::stoi(std::string(port));
        if (n < 1 || n > 65535) return std::nullopt;
        if (!((scheme == "http" && n == 80) || (scheme == "https" && n == 443)))
            out += ":" + std::to_string(n);
    }
    return out;
}

CorsPolicy::CorsPolicy(std::string_view configured, std::string_view publicUrl) {
    anyOrigin_ = false;
    while (!configured.empty()) {
        auto comma = configured.find(',');
        auto entry = trim(configured.substr(0, comma));
        configured.remove_prefix(comma == std::string_view::npos ? configured.size() : comma + 1);
        if (entry.empty()) continue;
        if (entry == "*") {
            anyOrigin_ = true;
            continue;
        }
        auto o = originOf(entry);
        // An origin has no path: "https://app.example" or "https://app.example/" only.
        auto sep = entry.find("://");
        auto tail = entry.find_first_of("/?#", sep == std::string_view::npos ? 0 : sep + 3);
        bool pathless = tail == std::string_view::npos || entry.substr(tail) == "/";
        if (!o || !pathless)
            throw std::invalid_argument("--cors-origins: '" + std::string(entry) +
                                        "' is not an origin (scheme://host[:port]) or *");
        origins_.push_back(std::move(*o));
    }
    if (auto o = originOf(publicUrl)) {
        publicScheme_ = o->substr(0, o->find(':'));
        origins_.push_back(std::move(*o));
    }
}

bool CorsPolicy::credentialed(std::string_view origin) const {
    auto o = originOf(origin);
    return o && std::find(origins_.begin(), origins_.end(), *o) != origins_.end();
}

CorsPolicy::Grant CorsPolicy::grant(std::string_view origin) const {
    if (origin.empty()) return {};
    if (credentialed(origin)) return {std::string(origin), true};
    if (anyOrigin_) return {"*", false};
    return {};
}

CorsPolicy::Grant CorsPolicy::grant(std::string_view origin, std::string_view path) const {
    Grant g = grant(origin);
    if (g.allowOrigin.empty() && !origin.empty() && (path == "/call/web" || path.starts_with("/sdk/")))
        g.allowOrigin = "*";
    return g;
}

bool CorsPolicy::ownOrigin(std::string_view origin, std::string_view host) const {
    if (host.empty()) return false;
    auto o = originOf(origin);
    auto self = originOf(publicScheme_ + "://" + std::string(host));
    return o && self && *o == *self;
}

bool CorsPolicy::allowedOrigin(std::string_view origin, std::string_view host) const {
    return credentialed(origin) || ownOrigin(origin, host);
}

bool CorsPolicy::trustedSource(const HttpRequest& req) const {
    auto host = req.header("host");
    if (auto origin = req.header("origin"); !origin.empty()) return allowedOrigin(origin, host);
    if (auto site = req.header("sec-fetch-site"); !site.empty())
        return site == "same-origin" || site == "none";
    if (auto referer = req.header("referer"); !referer.empty()) {
        auto o = originOf(referer);
        return o && allowedOrigin(*o, host);
    }
    return true;  // no browser sends a state change without any of the three
}

bool unsafeMethod(std::string_view method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace voxa::net

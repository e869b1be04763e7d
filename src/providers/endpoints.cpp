#include "providers/endpoints.h"

#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace voxa::providers {

namespace {

std::mutex gMu;
std::map<std::string, std::string> gUrls;

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

std::string withoutTrailingSlash(std::string_view s) {
    while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
    return std::string(s);
}

bool schemeOk(std::string_view url) {
    for (auto scheme : {"http://", "https://", "ws://", "wss://"}) {
        std::string_view p(scheme);
        if (url.starts_with(p) && url.size() > p.size()) return true;
    }
    return false;
}

}  // namespace

std::map<std::string, std::string> parseProviderUrls(const std::vector<std::string>& entries) {
    std::map<std::string, std::string> out;
    for (auto& entry : entries) {
        std::string_view rest(entry);
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string item = trimmed(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            if (item.empty()) continue;
            auto eq = item.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::invalid_argument("'" + item + "': expected NAME=URL (e.g. deepgram=http://127.0.0.1:8080)");
            std::string name = trimmed(std::string_view(item).substr(0, eq));
            std::string url = trimmed(std::string_view(item).substr(eq + 1));
            if (!schemeOk(url))
                throw std::invalid_argument("'" + item + "': the URL must start with http://, https://, ws:// or wss://");
            if (out.size() >= 64) throw std::invalid_argument("more than 64 provider URLs");
            out[name] = withoutTrailingSlash(url);
        }
    }
    return out;
}

void setOperatorUrls(std::map<std::string, std::string> urls) {
    std::lock_guard lock(gMu);
    gUrls = std::move(urls);
}

std::map<std::string, std::string> operatorUrls() {
    std::lock_guard lock(gMu);
    return gUrls;
}

Endpoint endpoint(std::string_view provider, const Context& ctx, std::string_view defaultUrl) {
    if (auto it = ctx.credentials.find(std::string(provider));
        it != ctx.credentials.end() && !it->second.apiUrl.empty())
        return {withoutTrailingSlash(it->second.apiUrl), net::UrlSource::OrgConfig};
    {
        std::lock_guard lock(gMu);
        if (auto it = gUrls.find(std::string(provider)); it != gUrls.end())
            return {it->second, net::UrlSource::Operator};
    }
    return {withoutTrailingSlash(defaultUrl), net::UrlSource::Operator};
}

std::string websocketUrl(std::string_view url) {
    std::string out;
    if (url.starts_with("https://")) out = "wss://" + std::string(url.substr(8));
    else if (url.starts_with("http://")) out = "ws://" + std::string(url.substr(7));
    else out = std::string(url);
    return withoutTrailingSlash(out);
}

std::string queryEscape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace voxa::providers

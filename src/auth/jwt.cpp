#include "auth/jwt.h"

#include <boost/json.hpp>

#include "common/crypto.h"

namespace voxa::auth {

namespace json = boost::json;

namespace {

std::string b64url(std::string_view raw) {
    std::string s = base64Encode(raw);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return s;
}

std::optional<std::string> unb64url(std::string_view text) {
    std::string s(text);
    for (auto& c : s) {
        if (c == '+' || c == '/' || c == '=') return std::nullopt;  // not base64url
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (s.size() % 4) s.push_back('=');
    return base64Decode(s);
}

const std::string& headerPart() {
    static const std::string h = b64url(R"({"alg":"HS256","typ":"JWT"})");
    return h;
}

}  // namespace

bool looksLikeJwt(std::string_view t) {
    auto a = t.find('.');
    if (a == std::string_view::npos) return false;
    auto b = t.find('.', a + 1);
    return b != std::string_view::npos && t.find('.', b + 1) == std::string_view::npos;
}

std::string signJwt(const json::object& claims, std::string_view key) {
    std::string input = headerPart() + "." + b64url(json::serialize(claims));
    return input + "." + b64url(hmacSha256(key, input));
}

std::optional<json::object> verifyJwt(std::string_view token, std::string_view key,
                                      int64_t nowSeconds) {
    if (token.size() > 4096 || !looksLikeJwt(token)) return std::nullopt;
    auto a = token.find('.'), b = token.find('.', a + 1);
    std::string_view input = token.substr(0, b);
    auto sig = unb64url(token.substr(b + 1));
    if (!sig || !constantTimeEquals(*sig, hmacSha256(key, input))) return std::nullopt;
    try {
        auto header = unb64url(token.substr(0, a));
        auto payload = unb64url(token.substr(a + 1, b - a - 1));
        if (!header || !payload) return std::nullopt;
        auto h = json::parse(*header);
        if (!h.is_object() || !h.as_object().contains("alg") || h.at("alg") != "HS256")
            return std::nullopt;
        auto p = json::parse(*payload);
        if (!p.is_object()) return std::nullopt;
        auto* exp = p.as_object().if_contains("exp");
        if (!exp || !exp->is_number() || exp->to_number<double>() <= static_cast<double>(nowSeconds))
            return std::nullopt;
        return std::move(p.as_object());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace voxa::auth

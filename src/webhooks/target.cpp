// Resolving a `server` object into a delivery Target, and signing requests.
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "webhooks/webhooks.h"

namespace voxa::webhooks {

namespace json = boost::json;
using json_fields::num;
using json_fields::str;

double Backoff::delaySeconds(int attempt) const {
    double d = exponential ? baseDelaySeconds * std::pow(2.0, std::max(0, attempt - 1))
                           : baseDelaySeconds;
    return std::min(d, maxDelaySeconds);
}

namespace {

bool boolOr(const json::object& o, const char* key, bool dflt) {
    auto* v = o.if_contains(key);
    return v && v->is_bool() ? v->as_bool() : dflt;
}

void applyCredential(Target& t, const json::object& cred) {
    auto* plan = cred.if_contains("authenticationPlan");
    if (!plan || !plan->is_object()) return;
    auto& p = plan->as_object();
    std::string type = str(p, "type");
    if (type == "bearer") {
        std::string header = str(p, "headerName");
        if (header.empty()) header = "Authorization";
        std::string token = str(p, "token");
        bool prefix = boolOr(p, "bearerPrefixEnabled", true);
        t.headers.push_back({header, prefix ? "Bearer " + token : token});
    } else if (type == "hmac") {
        Hmac h;
        h.secret = str(p, "secretKey");
        if (boolOr(p, "secretIsBase64", false))
            if (auto raw = base64Decode(h.secret)) h.secret = *raw;
        if (auto v = str(p, "algorithm"); !v.empty()) h.algorithm = v;
        if (auto v = str(p, "signatureHeader"); !v.empty()) h.signatureHeader = v;
        if (auto v = str(p, "timestampHeader"); !v.empty()) h.timestampHeader = v;
        h.signaturePrefix = str(p, "signaturePrefix");
        h.includeTimestamp = boolOr(p, "includeTimestamp", true);
        if (auto v = str(p, "payloadFormat"); !v.empty()) h.payloadFormat = v;
        else if (!h.includeTimestamp) h.payloadFormat = "{body}";
        if (auto v = str(p, "signatureEncoding"); !v.empty()) h.encoding = v;
        h.messageIdHeader = str(p, "messageIdHeader");
        t.hmac = std::move(h);
    }
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
    for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
        s.replace(i, from.size(), to);
}

}  // namespace

Target targetFrom(const json::value* server, const Credentials& credentials,
                  const std::string& legacyUrl, const std::string& legacySecret) {
    Target t;
    const json::object* so = server && server->is_object() ? &server->as_object() : nullptr;
    if (so) t.url = str(*so, "url");
    std::string secret = so ? str(*so, "secret") : "";
    if (t.url.empty()) {
        t.url = legacyUrl;
        if (secret.empty()) secret = legacySecret;
    }
    if (t.url.empty()) return Target{};
    if (!secret.empty()) t.headers.push_back({"X-Vapi-Secret", secret});
    if (!so) return t;
    t.timeoutSeconds = std::clamp(num(*so, "timeoutSeconds", 20), 1.0, 300.0);
    if (auto id = str(*so, "credentialId"); !id.empty())
        if (auto it = credentials.find(id); it != credentials.end()) applyCredential(t, it->second);
    if (auto* h = so->if_contains("headers"); h && h->is_object())
        for (auto& kv : h->as_object())
            t.headers.push_back({std::string(kv.key()), kv.value().is_string()
                                                             ? std::string(kv.value().as_string())
                                                             : json::serialize(kv.value())});
    if (auto* b = so->if_contains("backoffPlan"); b && b->is_object()) {
        auto& bo = b->as_object();
        t.backoff.exponential = str(bo, "type") != "fixed";
        t.backoff.maxRetries = static_cast<int>(num(bo, "maxRetries", 0));
        t.backoff.baseDelaySeconds = std::max(0.0, num(bo, "baseDelaySeconds", 1));
    }
    return t;
}

json::object Target::toJson() const {
    json::array hs;
    for (auto& h : headers) hs.push_back(json::array{json::string(h.name), json::string(h.value)});
    json::object o{{"url", url},
                   {"timeoutSeconds", timeoutSeconds},
                   {"headers", std::move(hs)},
                   {"backoff", json::object{{"exponential", backoff.exponential},
                                            {"maxRetries", backoff.maxRetries},
                                            {"baseDelaySeconds", backoff.baseDelaySeconds},
                                            {"maxDelaySeconds", backoff.maxDelaySeconds}}}};
    if (hmac)
        o["hmac"] = json::object{{"secret", hmac->secret},
                                 {"algorithm", hmac->algorithm},
                                 {"signatureHeader", hmac->signatureHeader},
                                 {"timestampHeader", hmac->timestampHeader},
                                 {"signaturePrefix", hmac->signaturePrefix},
                                 {"includeTimestamp", hmac->includeTimestamp},
                                 {"payloadFormat", hmac->payloadFormat},
                                 {"encoding", hmac->encoding},
                                 {"messageIdHeader", hmac->messageIdHeader}};
    return o;
}

Target Target::fromJson(const json::object& o) {
    Target t;
    t.url = str(o, "url");
    t.timeoutSeconds = num(o, "timeoutSeconds", 20);
    if (auto* hs = o.if_contains("headers"); hs && hs->is_array())
        for (auto& h : hs->as_array())
            if (h.is_array() && h.as_array().size() == 2 && h.as_array()[0].is_string() &&
                h.as_array()[1].is_string())
                t.headers.push_back({std::string(h.as_array()[0].as_string()),
                                     std::string(h.as_array()[1].as_string())});
    if (auto* b = o.if_contains("backoff"); b && b->is_object()) {
        auto& bo = b->as_object();
        t.backoff.exponential = boolOr(bo, "exponential", true);
        t.backoff.maxRetries = static_cast<int>(num(bo, "maxRetries", -1));
        t.backoff.baseDelaySeconds = num(bo, "baseDelaySeconds", 1);
        t.backoff.maxDelaySeconds = num(bo, "maxDelaySeconds", 300);
    }
    if (auto* h = o.if_contains("hmac"); h && h->is_object()) {
        auto& ho = h->as_object();
        Hmac m;
        m.secret = str(ho, "secret");
        m.algorithm = str(ho, "algorithm");
        m.signatureHeader = str(ho, "signatureHeader");
        m.timestampHeader = str(ho, "timestampHeader");
        m.signaturePrefix = str(ho, "signaturePrefix");
        m.includeTimestamp = boolOr(ho, "includeTimestamp", true);
        m.payloadFormat = str(ho, "payloadFormat");
        m.encoding = str(ho, "encoding");
        m.messageIdHeader = str(ho, "messageIdHeader");
        t.hmac = std::move(m);
    }
    return t;
}

std::vector<net::Header> requestHeaders(const Target& t, const std::string& body,
                                        const std::string& eventId, int64_t nowMs) {
    std::vector<net::Header> out{{"Content-Type", "application/json"},
                                 {"User-Agent", "Voxa-Webhooks/1"},
                                 {"X-Voxa-Event-Id", eventId}};
    for (auto& h : t.headers) out.push_back(h);
    if (t.hmac) {
        auto& h = *t.hmac;
        std::string ts = std::to_string(nowMs);
        std::string payload = h.payloadFormat;
        replaceAll(payload, "{timestamp}", ts);
        replaceAll(payload, "{method}", "POST");
        replaceAll(payload, "{url}", t.url);
        replaceAll(payload, "{svix-id}", eventId);
        replaceAll(payload, "{body}", body);  // last: the body may contain the other tokens
        std::string digest = h.algorithm == "sha512" ? "SHA512" : h.algorithm == "sha1" ? "SHA1" : "SHA256";
        std::string mac = hmac(digest, h.secret, payload);
        std::string sig = h.encoding == "base64" ? base64Encode(mac) : toHex(mac);
        out.push_back({h.signatureHeader, h.signaturePrefix + sig});
        if (h.includeTimestamp) out.push_back({h.timestampHeader, ts});
        if (!h.messageIdHeader.empty()) out.push_back({h.messageIdHeader, eventId});
    }
    return out;
}

}  // namespace voxa::webhooks

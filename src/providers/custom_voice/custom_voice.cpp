#include "providers/custom_voice/custom_voice.h"

#include <boost/json.hpp>

#include <algorithm>

#include "net/http_client.h"
#include "providers/http_tts.h"

namespace voxa::providers::custom_voice {

namespace json = boost::json;

namespace {

struct Request final : HttpTtsSpec {
    Request(const json::object& config, const Context& ctx) : ctx(ctx) {
        name = "custom-voice";
        if (auto* s = config.if_contains("server"); s && s->is_object()) server = s->get_object();
    }

    std::variant<net::HttpClientRequest, ProviderError> request(const std::string& text) override {
        ServerRequest sr = build(text);
        if (sr.url.empty()) return ProviderError{FailureCause::BadRequest, "voice.server.url is not set"};
        net::HttpClientRequest req{.method = "POST", .url = sr.url};
        req.headers = std::move(sr.headers);
        req.body = std::move(sr.body);
        auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::clamp(sr.timeoutSeconds, 1.0, 300.0) * 1000));
        req.readTimeout = timeout;
        req.connectTimeout = std::min(timeout, std::chrono::milliseconds(10'000));
        req.source = net::UrlSource::OrgConfig;  // the customer's server: held to the egress policy
        return req;
    }

    ServerRequest build(const std::string& text) const {
        auto fields = requestFields(text, audio::kRate);
        if (ctx.serverRequest) return ctx.serverRequest(server, "voice-request", std::move(fields));
        // Outside a call (tests): the bare message and the static headers.
        ServerRequest r;
        if (auto* u = server.if_contains("url"); u && u->is_string()) r.url = u->get_string();
        json::object m{{"type", "voice-request"}};
        for (auto& kv : fields) m[kv.key()] = kv.value();
        r.body = json::serialize(json::object{{"message", std::move(m)}});
        r.headers.push_back({"Content-Type", "application/json"});
        if (auto* h = server.if_contains("headers"); h && h->is_object())
            for (auto& kv : h->get_object())
                if (kv.value().is_string()) r.headers.push_back({std::string(kv.key()), std::string(kv.value().get_string())});
        if (auto* t = server.if_contains("timeoutSeconds"); t && t->is_number())
            r.timeoutSeconds = t->to_number<double>();
        return r;
    }

    Context ctx;
    json::object server;  // voice.server
};

class Provider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& config, const Context& ctx, TtsCallbacks cb) override {
        return makeHttpTtsSession(std::make_unique<Request>(config, ctx), ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<Provider>(); }

json::object requestFields(const std::string& text, int sampleRate) {
    return json::object{{"text", text}, {"sampleRate", sampleRate}};
}

}  // namespace voxa::providers::custom_voice

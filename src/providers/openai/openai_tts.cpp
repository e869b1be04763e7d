#include "providers/openai/openai_tts.h"

#include <boost/json.hpp>

#include "common/json_fields.h"
#include "net/http_client.h"
#include "providers/endpoints.h"
#include "providers/http_tts.h"
#include "providers/openai/openai_llm.h"
#include "providers/streaming.h"

namespace voxa::providers::openai {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using json_fields::str;

constexpr const char* kDefaultUrl = "https://api.openai.com/v1";

struct Speech final : HttpTtsSpec {
    Speech(const json::object& config, const Context& ctx) : config(config), ctx(ctx) {
        name = "openai voice";
        pcmRate = kSpeechRate;
        maxTextBytes = kMaxInputBytes;
        maxAudioBytes = size_t{kMaxSpeechSeconds} * kSpeechRate * 2;
        rejectTextBody = true;
    }

    std::variant<net::HttpClientRequest, ProviderError> request(const std::string& text) override {
        std::string key = apiKey(ctx, "openai");
        if (key.empty()) return ProviderError{FailureCause::MissingKey, "no OpenAI API key"};
        auto ep = endpoint("openai", ctx, kDefaultUrl);
        net::HttpClientRequest req;
        req.method = "POST";
        req.url = audioUrl(ep.url, "/audio/speech");
        req.headers = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
        req.body = speechBody(config, text);
        req.source = ep.source;
        req.connectTimeout = 10s;
        req.readTimeout = kSpeechTimeout;
        req.maxBufferedBody = 64 * 1024;  // error bodies
        return req;
    }

    std::string describe(const net::HttpClientResult& r, const std::string& url) const override {
        if (!r.ok()) return HttpTtsSpec::describe(r, url);
        return describeHttpError(r.status, r.body, url);
    }

    json::object config;
    Context ctx;
};

class Provider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& config, const Context& ctx, TtsCallbacks cb) override {
        return makeHttpTtsSession(std::make_unique<Speech>(config, ctx), ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<Provider>(); }

std::string speechBody(const json::object& config, std::string_view text) {
    std::string model = str(config, "model");
    if (model.empty()) model = "tts-1";
    std::string voice = str(config, "voiceId");
    if (voice.empty()) voice = "alloy";
    json::object body{{"model", model}, {"input", text}, {"voice", voice}, {"response_format", "pcm"}};
    if (auto* v = config.if_contains("speed"); v && v->is_number()) {
        double speed = v->to_number<double>();
        if (speed >= 0.25 && speed <= 4.0) body["speed"] = speed;
    }
    // tts-1 and tts-1-hd refuse instructions (OpenAI: "Does not work with tts-1 or tts-1-hd").
    if (auto i = str(config, "instructions"); !i.empty() && model != "tts-1" && model != "tts-1-hd")
        body["instructions"] = utf8Prefix(std::move(i), 10000);
    return json::serialize(body);
}

}  // namespace voxa::providers::openai

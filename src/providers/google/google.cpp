// The Gemini model session (google.h): one streamed POST per turn, SSE decoded as it
// arrives, errors reported with Gemini's status and code.
#include "providers/google/google.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <cctype>
#include <cstdlib>

#include "common/json_fields.h"
#include "net/http_client.h"
#include "net/pool.h"
#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/llm_turn.h"
#include "providers/first_token.h"
#include "providers/openai/sse.h"
#include "providers/streaming.h"

namespace voxa::providers::google {

namespace asio = boost::asio;
namespace json = boost::json;

Settings resolveSettings(const json::object& config, const Context& ctx) {
    Settings s;
    auto ep = endpoint("google", ctx, kDefaultBaseUrl);
    s.source = ep.source;
    s.model = json_fields::str(config, "model");
    if (s.model.empty()) s.error = "model.model is required (a Gemini model, e.g. gemini-2.0-flash)";
    s.url = streamUrl(ep.url, s.model);
    s.temperature = json_fields::optNum(config, "temperature");
    if (auto n = json_fields::optNum(config, "maxTokens"); n && *n >= 1) s.maxTokens = static_cast<int64_t>(*n);
    if (auto t = json_fields::optNum(config, "timeoutSeconds"); t && *t > 0)
        s.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::min(*t, 600.0) * 1000));
    s.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    // The call's key (providers/credentials.h); sessions opened outside a call (tests,
    // tools) still find the single-tenant environment variables.
    std::string key = apiKey(ctx, "google");
    for (const char* var : {"GOOGLE_API_KEY", "GEMINI_API_KEY"})
        if (key.empty())
            if (const char* env = std::getenv(var)) key = env;
    // In a header, never in the URL: URLs end up in logs.
    if (!key.empty()) s.headers.push_back({"x-goog-api-key", key});
    return s;
}

namespace {

using TurnState = LlmTurnState;
using Turn = LlmTurnHandle<TurnState>;

ProviderError failure(FailureCause cause, std::string message) {
    ProviderError e;
    e.cause = cause;
    e.message = std::move(message);
    return e;
}

// What the session remembers between turns: the ids it gave out and the thought signatures
// Gemini 3 wants back with each call (bounded: the oldest are forgotten first).
struct Memory {
    uint64_t nextCall = 1;
    Signatures signatures;
    std::vector<std::string> order;
    static constexpr size_t kMax = 256;
    void keep(const Signatures& fresh) {
        for (auto& [id, sig] : fresh) {
            if (!signatures.count(id)) order.push_back(id);
            signatures[id] = sig;
        }
        while (order.size() > kMax) {
            signatures.erase(order.front());
            order.erase(order.begin());
        }
    }
};

// Bytes kept while no SSE event has been seen (a JSON body from a server that ignored
// alt=sse) and after the last one (a bare JSON error written into the stream).
constexpr size_t kMaxPlainBody = 1024 * 1024;
constexpr size_t kMaxUnframed = 64 * 1024;

/// Where the bytes after the last event boundary (a blank line: \n\n, \r\n\r\n or \r\r)
/// begin, or npos when there is none.
size_t afterLastBoundary(std::string_view bytes) {
    size_t best = std::string_view::npos;
    for (std::string_view sep : {"\n\n", "\r\r", "\r\n\r\n"})
        if (size_t at = bytes.rfind(sep); at != std::string_view::npos)
            if (best == std::string_view::npos || at + sep.size() > best) best = at + sep.size();
    return best;
}

/// A JSON body that is not SSE: one response, an array of them, or an error. Returns false
/// (error set) on an error or when it is none of those.
bool decodePlain(StreamDecoder& decoder, std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) return decoder.onData(body);  // reports it unparsable
    if (v.is_array()) {
        for (auto& x : v.get_array())
            if (!decoder.onData(json::serialize(x))) return false;
        return true;
    }
    return decoder.onData(body);
}

asio::awaitable<void> runTurn(std::shared_ptr<TurnState> s, std::shared_ptr<Memory> memory,
                              net::HttpClientRequest req) {
    // However the turn ends, drop the callbacks (and whatever they capture, possibly the
    // turn handle itself) once it is over. Never earlier: a callback may be running.
    struct ReleaseCallbacks {
        TurnState& s;
        ~ReleaseCallbacks() { s.cb = {}; }
    } release{*s};
    openai::SseParser parser;
    std::vector<openai::SseEvent> events;
    StreamDecoder decoder(s->cb, [s] { return s->stopped; }, memory->nextCall);
    bool failed = false;    // the decoder reported an error
    bool overflow = false;  // an event over the parser's bound
    bool sawEvent = false;
    std::string plain;      // the body while no SSE event has been seen
    std::string unframed;   // bytes after the last event boundary

    net::BodyChunkHandler onBytes = [&](std::string_view bytes) {
        if (s->stopped || failed || overflow) return;
        if (!sawEvent && plain.size() + bytes.size() <= kMaxPlainBody) plain.append(bytes);
        if (!parser.feed(bytes, events)) {
            overflow = true;
            s->token->cancel();
            return;
        }
        if (events.empty()) {
            if (unframed.size() + bytes.size() <= kMaxUnframed) unframed.append(bytes);
        } else {
            sawEvent = true;
            size_t end = afterLastBoundary(bytes);
            unframed = end == std::string_view::npos ? std::string() : std::string(bytes.substr(end));
        }
        for (auto& e : events) {
            if (s->stopped || failed) break;
            if (!decoder.onData(e.data)) {
                failed = true;
                s->token->cancel();  // stop reading; reported below
            }
        }
        events.clear();
    };
    std::string url = req.url;
    net::HttpClientResult r = co_await net::fetch(std::move(req), std::move(onBytes), s->token);
    memory->nextCall = decoder.nextCallNumber();
    memory->keep(decoder.signatures());
    if (s->stopped) co_return;

    if (failed) {
        fail(*s, *decoder.error());
    } else if (overflow) {
        fail(*s, failure(FailureCause::BadMessage, "google: stream event too large"));
    } else if (r.ok() && !r.success()) {
        fail(*s, httpError(r.status, r.body, url));
    } else if (!r.ok()) {
        using Kind = net::HttpClientResult::ErrorKind;
        std::string what = r.errorKind == Kind::Timeout ? "timed out: " : "request failed: ";
        fail(*s, failure(httpFailure(r, decoder.sawChunk()), "google: " + what + r.error + " (" + url + ")"));
    } else {
        parser.finish(events);
        for (auto& e : events)
            if (!s->stopped && !failed) failed = !decoder.onData(e.data);
        // Not SSE at all, or a bare JSON error after the last event.
        std::string_view rest = sawEvent || !events.empty() ? std::string_view(unframed) : std::string_view(plain);
        while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
        if (!failed && !rest.empty() && (rest.front() == '{' || rest.front() == '['))
            failed = !decodePlain(decoder, rest);
        if (!failed && !decoder.sawChunk())
            fail(*s, failure(FailureCause::BadMessage, "google: the answer had no GenerateContentResponse"));
        memory->nextCall = decoder.nextCallNumber();
        memory->keep(decoder.signatures());
        if (failed) {
            fail(*s, *decoder.error());
        } else if (!s->stopped) {
            s->stopped = true;
            if (s->cb.onDone) s->cb.onDone(decoder.usage());
        }
    }
}

class Session final : public LlmSession {
public:
    Session(Settings settings, Context ctx) : settings_(std::move(settings)), ctx_(std::move(ctx)) {
        // A connection to Gemini is ready before the caller's first turn (net/pool.h).
        if (settings_.error.empty()) net::warm(ctx_.executor, settings_.url, settings_.source);
    }
    ~Session() override {
        // The call is going away: nothing may call back into it.
        for (auto& w : turns_)
            if (auto s = w.lock()) s->stop();
    }

    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override {
        auto state = std::make_shared<TurnState>();
        state->cb = timeFirstToken(std::move(cb), "google");
        std::erase_if(turns_, [](const std::weak_ptr<TurnState>& w) { return w.expired(); });
        turns_.push_back(state);
        if (!settings_.error.empty()) {
            // Report asynchronously, like every other outcome.
            asio::post(ctx_.executor, [state, msg = "google: " + settings_.error] {
                fail(*state, failure(FailureCause::BadRequest, msg));
                state->cb = {};
            });
            return std::make_shared<Turn>(state);
        }
        net::HttpClientRequest http;
        http.method = "POST";
        http.url = settings_.url;
        http.source = settings_.source;
        http.headers = settings_.headers;
        http.body = buildRequestBody(settings_, req, memory_->signatures);
        http.connectTimeout = settings_.timeout;
        http.readTimeout = settings_.timeout;
        asio::co_spawn(ctx_.executor, runTurn(state, memory_, std::move(http)), asio::detached);
        return std::make_shared<Turn>(state);
    }

private:
    Settings settings_;
    Context ctx_;
    std::shared_ptr<Memory> memory_ = std::make_shared<Memory>();
    std::vector<std::weak_ptr<TurnState>> turns_;
};

class Provider final : public LlmProvider {
public:
    std::unique_ptr<LlmSession> open(const json::object& config, const Context& ctx) override {
        return std::make_unique<Session>(resolveSettings(config, ctx), ctx);
    }
};

}  // namespace

std::shared_ptr<LlmProvider> makeLlmProvider() { return std::make_shared<Provider>(); }

}  // namespace voxa::providers::google

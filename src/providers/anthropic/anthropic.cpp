// The Anthropic model session (anthropic.h): settings from the assistant's model, one
// streamed POST /v1/messages per turn, SSE events through the StreamDecoder (protocol.cpp).
#include "providers/anthropic/anthropic.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <cstdlib>
#include <deque>

#include "common/json_fields.h"
#include "net/http_client.h"
#include "net/pool.h"
#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/llm_turn.h"
#include "providers/first_token.h"
#include "providers/openai/sse.h"
#include "providers/streaming.h"

namespace voxa::providers::anthropic {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::optNum;
using json_fields::str;

Settings resolveSettings(const json::object& config, const Context& ctx) {
    Settings s;
    auto ep = endpoint("anthropic", ctx, kDefaultBaseUrl);
    s.url = messagesUrl(ep.url);
    s.source = ep.source;
    s.model = str(config, "model");
    s.temperature = optNum(config, "temperature");
    if (auto n = optNum(config, "maxTokens"); n && *n >= 1 && *n <= 1e6) s.maxTokens = static_cast<int64_t>(*n);
    if (auto* t = json_fields::obj(config, "thinking"); t && str(*t, "type") == "enabled")
        if (auto b = optNum(*t, "budgetTokens"); b && *b >= 1 && *b <= 1e6) s.thinkingBudget = static_cast<int64_t>(*b);
    // Not in Vapi's AnthropicModel: the same bound the OpenAI-compatible models take.
    if (auto t = optNum(config, "timeoutSeconds"); t && *t > 0 && *t <= 600)
        s.timeout = std::chrono::milliseconds(static_cast<int64_t>(*t * 1000));

    // The key resolved for the call (providers/credentials.h); sessions opened outside a call
    // (tests, tools) still find the single-tenant environment variable.
    std::string key = apiKey(ctx, "anthropic");
    if (key.empty())
        if (const char* var = keyEnvVar("anthropic"))
            if (const char* env = std::getenv(var)) key = env;
    s.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"},
                 {"anthropic-version", kVersion}};
    if (!key.empty()) s.headers.push_back({"x-api-key", key});
    return s;
}

namespace {

/// The thinking of replies that called tools, by their first tool_use id (anthropic.h),
/// shared by a session's turns. Only the last few are kept: it is the latest that Anthropic
/// checks, and a call may run many tool rounds.
struct ThinkingStore {
    static constexpr size_t kMaxReplies = 8;
    ThinkingByToolUse byId;
    std::deque<std::string> order;
    void add(const std::string& id, json::array blocks) {
        if (id.empty() || blocks.empty() || byId.count(id)) return;
        byId.emplace(id, std::move(blocks));
        order.push_back(id);
        if (order.size() > kMaxReplies) {
            byId.erase(order.front());
            order.pop_front();
        }
    }
};

struct TurnState : LlmTurnState {
    LlmCallbacks relay;  // what the decoder calls: the terminal ones end the turn first
    std::function<void()> beforeDone;
};
using Turn = LlmTurnHandle<TurnState>;

void wire(TurnState* s) {
    s->relay.onText = [s](const std::string& d) {
        if (s->cb.onText) s->cb.onText(d);
    };
    s->relay.onToolCall = [s](const ToolCall& c) {
        if (s->cb.onToolCall) s->cb.onToolCall(c);
    };
    s->relay.onDone = [s](const Usage& u) {
        if (s->stopped) return;
        if (s->beforeDone) s->beforeDone();
        s->stopped = true;
        if (s->cb.onDone) s->cb.onDone(u);
    };
    s->relay.onError = [s](const ProviderError& e) { fail(*s, e); };
}

asio::awaitable<void> runTurn(std::shared_ptr<TurnState> s, net::HttpClientRequest req,
                              std::shared_ptr<ThinkingStore> thinking) {
    // However the turn ends, drop the callbacks (and whatever they capture, possibly the
    // turn handle itself) once it is over. Never earlier: a callback may be running.
    struct ReleaseCallbacks {
        TurnState& s;
        ~ReleaseCallbacks() {
            s.cb = {};
            s.relay = {};
            s.beforeDone = {};
        }
    } release{*s};
    wire(s.get());
    openai::SseParser parser(1024 * 1024);
    std::vector<openai::SseEvent> events;
    StreamDecoder decoder(s->relay, [st = s.get()] { return st->stopped; });
    if (thinking)
        s->beforeDone = [&decoder, thinking] {
            if (!decoder.toolUseIds().empty()) thinking->add(decoder.toolUseIds().front(), decoder.takeThinking());
        };
    bool overflow = false;

    net::BodyChunkHandler onBytes = [&](std::string_view bytes) {
        if (s->stopped || overflow) return;
        if (!parser.feed(bytes, events)) overflow = true;
        for (auto& e : events) {
            if (s->stopped) break;
            decoder.onEvent(e.event, e.data);
        }
        events.clear();
        // An error event, or a stream that broke its bounds: stop reading.
        if (overflow || decoder.failed()) s->token->cancel();
    };
    std::string url = req.url;
    net::HttpClientResult r = co_await net::fetch(std::move(req), std::move(onBytes), s->token);
    if (s->stopped) co_return;

    if (overflow) {
        fail(*s, {FailureCause::BadMessage, "anthropic: stream event larger than 1 MiB"});
    } else if (r.ok() && !r.success()) {
        std::string type = errorType(r.body);
        fail(*s, {httpFailure(r, false), "anthropic: " + describeHttpError(r.status, r.body, url), true, r.status,
                  type});
    } else if (!r.ok()) {
        using Kind = net::HttpClientResult::ErrorKind;
        std::string what = r.errorKind == Kind::Timeout ? "timed out: " : "request failed: ";
        fail(*s, {httpFailure(r, decoder.sawEvent()), "anthropic: " + what + r.error + " (" + url + ")"});
    } else {
        parser.finish(events);
        for (auto& e : events)
            if (!s->stopped) decoder.onEvent(e.event, e.data);
        if (!s->stopped)
            fail(*s, {decoder.sawEvent() ? FailureCause::Disconnected : FailureCause::BadMessage,
                      decoder.sawEvent() ? "anthropic: the stream ended before message_stop"
                                         : "anthropic: the answer is not an event stream"});
    }
}

class Session final : public LlmSession {
public:
    Session(Settings settings, Context ctx) : settings_(std::move(settings)), ctx_(std::move(ctx)) {
        if (settings_.thinkingBudget) thinking_ = std::make_shared<ThinkingStore>();
        // A connection to Anthropic is ready before the caller's first turn (net/pool.h).
        net::warm(ctx_.executor, settings_.url, settings_.source);
    }
    ~Session() override {
        // The call is going away: nothing may call back into it.
        for (auto& w : turns_)
            if (auto s = w.lock()) s->stop();
    }

    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override {
        auto state = std::make_shared<TurnState>();
        state->cb = timeFirstToken(std::move(cb), "anthropic");
        std::erase_if(turns_, [](const std::weak_ptr<TurnState>& w) { return w.expired(); });
        turns_.push_back(state);
        net::HttpClientRequest http;
        http.method = "POST";
        http.url = settings_.url;
        http.source = settings_.source;
        http.headers = settings_.headers;
        http.body = json::serialize(buildRequest(settings_, req, thinking_ ? &thinking_->byId : nullptr));
        http.connectTimeout = settings_.timeout;
        http.readTimeout = settings_.timeout;
        asio::co_spawn(ctx_.executor, runTurn(state, std::move(http), thinking_), asio::detached);
        return std::make_shared<Turn>(state);
    }

private:
    Settings settings_;
    Context ctx_;
    std::shared_ptr<ThinkingStore> thinking_;
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

}  // namespace voxa::providers::anthropic

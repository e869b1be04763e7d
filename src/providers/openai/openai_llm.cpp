#include "providers/openai/openai_llm.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "net/http_client.h"
#include "net/pool.h"
#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/llm_turn.h"
#include "providers/first_token.h"
#include "providers/openai/openai.h"
#include "providers/openai/sse.h"
#include "providers/streaming.h"

namespace voxa::providers::openai {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

const json::value* field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string stringField(const json::object& o, std::string_view key) {
    auto v = field(o, key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<double> numberField(const json::object& o, std::string_view key) {
    auto v = field(o, key);
    if (!v || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
}

void setHeader(std::vector<net::Header>& headers, std::string name, std::string value) {
    auto key = lower(name);
    std::erase_if(headers, [&](const net::Header& h) { return lower(h.name) == key; });
    headers.push_back({std::move(name), std::move(value)});
}

}  // namespace

std::string chatCompletionsUrl(std::string_view base) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    constexpr std::string_view kPath = "/chat/completions";
    if (base.ends_with(kPath)) return std::string(base);
    return std::string(base) + std::string(kPath);
}

namespace {

std::string_view withoutRegion(std::string_view model) {
    auto colon = model.find(':');
    return colon == std::string_view::npos ? model : model.substr(0, colon);
}

}  // namespace

std::string azureChatUrl(std::string_view endpoint, std::string_view deployment, std::string_view apiVersion) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
    return std::string(endpoint) + "/openai/deployments/" + queryEscape(withoutRegion(deployment)) +
           "/chat/completions?api-version=" + queryEscape(apiVersion);
}

bool usesAzure(std::string_view provider, std::string_view, const Context& ctx) {
    if (provider == "azure-openai") return true;
    // resolveCredentials() puts an azure-openai credential into an "openai" model's call only
    // when it lists the assistant's model (providers/credentials.h).
    return provider == "openai" && ctx.credentials.count("azure-openai") > 0;
}

json::object customLlmExtras(std::string_view mode, const json::object& message) {
    json::object out;
    if (mode == "off") return out;
    json::object metadata;
    if (auto a = field(message, "assistant"); a && a->is_object())
        if (auto m = field(a->get_object(), "metadata"); m && m->is_object()) metadata = m->get_object();
    if (mode == "destructured") {
        for (auto& [k, v] : metadata) out[k] = v;
    } else {
        out["metadata"] = std::move(metadata);
    }
    for (auto* k : {"call", "phoneNumber", "customer"})
        if (auto v = field(message, k)) out[k] = *v;
    return out;
}

LlmSettings resolveSettings(const json::object& config, const Context& ctx,
                            const std::string& defaultBaseUrl) {
    LlmSettings s;
    s.provider = stringField(config, "provider");
    s.model = stringField(config, "model");
    // model.url (custom-llm, a self-hosted server) is org configuration; otherwise the
    // provider's endpoint: a credential's apiUrl, the operator's --provider-url, the default.
    std::string base = stringField(config, "url");
    s.source = net::UrlSource::OrgConfig;
    bool azure = base.empty() && usesAzure(s.provider, s.model, ctx);
    std::string keyProvider = azure ? "azure-openai" : s.provider;
    if (base.empty()) {
        auto ep = endpoint(keyProvider, ctx, defaultBaseUrl);
        base = ep.url;
        s.source = ep.source;
    }
    if (azure) {
        // Azure OpenAI: the deployment is the model; the resource is the credential's endpoint.
        std::string version = stringField(config, "apiVersion");
        if (base.empty())
            s.error = "azure-openai needs the credential's openAIEndpoint (POST /credential)";
        else if (s.model.empty())
            s.error = "model.model (the Azure deployment) is required for azure-openai";
        else
            s.url = azureChatUrl(base, s.model, version.empty() ? kAzureApiVersion : std::string_view(version));
    } else if (base.empty()) {
        s.error = "model.url is required for provider " +
                  (s.provider.empty() ? std::string("custom-llm") : s.provider);
    } else {
        s.url = chatCompletionsUrl(base);
    }
    // Vapi's region suffix ("gpt-4o-2024-11-20:westus") picks an Azure region; OpenAI's own
    // API knows the model by its bare name.
    if (s.provider == "openai") s.model = std::string(withoutRegion(s.model));
    if (s.provider == "custom-llm") {
        s.metadataSendMode = stringField(config, "metadataSendMode");
        if (s.metadataSendMode.empty()) s.metadataSendMode = "variable";
    }
    s.temperature = numberField(config, "temperature");
    if (auto n = numberField(config, "maxTokens")) s.maxTokens = static_cast<int64_t>(*n);
    if (auto t = numberField(config, "timeoutSeconds"); t && *t > 0)
        s.timeout = std::chrono::milliseconds(static_cast<int64_t>(*t * 1000));

    setHeader(s.headers, "Content-Type", "application/json");
    setHeader(s.headers, "Accept", "text/event-stream");
    // The key resolved for the call (providers/credentials.h). Self-hosted servers given by
    // model.url take none unless the org stored one; sessions opened outside a call (tests,
    // tools) still find the single-tenant environment variable.
    std::string key;
    if (auto it = ctx.credentials.find(keyProvider); it != ctx.credentials.end()) key = it->second.apiKey;
    if (key.empty() && stringField(config, "url").empty())
        if (const char* var = keyEnvVar(keyProvider))
            if (const char* env = std::getenv(var)) key = env;
    if (!key.empty()) {
        if (azure) setHeader(s.headers, "api-key", key);
        else setHeader(s.headers, "Authorization", "Bearer " + key);
    }
    if (auto h = field(config, "headers"); h && h->is_object())
        for (auto& [name, value] : h->get_object())
            if (value.is_string())
                setHeader(s.headers, std::string(name), std::string(value.get_string()));
    return s;
}

std::string buildRequestBody(const LlmSettings& s, const LlmRequest& req, const json::object* extras) {
    json::object body;
    if (!s.model.empty()) body["model"] = s.model;
    body["messages"] = req.messages;
    if (!req.tools.empty()) body["tools"] = req.tools;
    body["stream"] = true;
    json::object streamOptions;
    streamOptions["include_usage"] = true;
    body["stream_options"] = std::move(streamOptions);
    if (s.temperature) body["temperature"] = *s.temperature;
    if (s.maxTokens) body["max_tokens"] = *s.maxTokens;
    if (extras)
        for (auto& [k, v] : *extras)
            if (!body.contains(k)) body[k] = v;
    return json::serialize(body);
}

std::string describeHttpError(int status, std::string_view body, std::string_view url) {
    std::string detail;
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        // OpenAI: {"error":{"message":...}}; some servers: {"error":"..."} or {"message":...}
        auto& o = v.get_object();
        if (auto e = field(o, "error")) {
            if (e->is_string()) detail = std::string(e->get_string());
            else if (e->is_object()) detail = stringField(e->get_object(), "message");
        }
        if (detail.empty()) detail = stringField(o, "message");
    }
    if (detail.empty()) {
        detail = std::string(body.substr(0, 300));
        if (body.size() > 300) detail += "...";
    }
    std::string out = "HTTP " + std::to_string(status) + " from " + std::string(url);
    if (!detail.empty()) out += ": " + detail;
    return out;
}

std::string errorCode(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    auto e = field(v.get_object(), "error");
    if (!e || !e->is_object()) return {};
    std::string code = stringField(e->get_object(), "code");
    if (code.empty()) code = stringField(e->get_object(), "type");
    if (code.size() > 64) return {};
    for (char c : code)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return {};
    return code;
}

// ---- ChatStreamDecoder ---------------------------------------------------------------

bool ChatStreamDecoder::onData(std::string_view text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        error_ = "unparsable stream chunk: " + std::string(text.substr(0, 200));
        return false;
    }
    auto& chunk = v.get_object();
    if (auto e = field(chunk, "error")) {
        error_ = "stream error: " + (e->is_object() ? stringField(e->get_object(), "message")
                                                     : json::serialize(*e));
        return false;
    }
    sawChunk_ = true;
    readUsage(chunk);
    auto choices = field(chunk, "choices");
    if (!choices || !choices->is_array()) return true;
    for (auto& c : choices->get_array()) {
        if (!c.is_object()) continue;
        auto& choice = c.get_object();
        auto idx = field(choice, "index");
        if (idx && idx->is_int64() && idx->get_int64() != 0) continue;  // n>1: first only
        if (auto d = field(choice, "delta"); d && d->is_object()) {
            auto& delta = d->get_object();
            std::string content = stringField(delta, "content");
            if (!content.empty() && cb_.onText && !stopped_()) cb_.onText(content);
            if (auto tc = field(delta, "tool_calls"); tc && tc->is_array()) {
                size_t pos = 0;
                for (auto& t : tc->get_array())
                    if (t.is_object()) addToolDelta(t.get_object(), pos++);
            }
        }
        // Any finish_reason ends the calls' argument streams.
        if (field(choice, "finish_reason")) flushToolCalls();
    }
    return true;
}

bool ChatStreamDecoder::onCompletion(std::string_view text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        error_ = "unexpected response body: " + std::string(text.substr(0, 200));
        return false;
    }
    auto& o = v.get_object();
    if (auto e = field(o, "error")) {
        error_ = "error: " + (e->is_object() ? stringField(e->get_object(), "message")
                                              : json::serialize(*e));
        return false;
    }
    auto choices = field(o, "choices");
    if (!choices || !choices->is_array()) {
        error_ = "response has no choices: " + std::string(text.substr(0, 200));
        return false;
    }
    sawChunk_ = true;
    readUsage(o);
    for (auto& c : choices->get_array()) {
        if (!c.is_object()) continue;
        auto m = field(c.get_object(), "message");
        if (!m || !m->is_object()) continue;
        auto& msg = m->get_object();
        std::string content = stringField(msg, "content");
        if (!content.empty() && cb_.onText && !stopped_()) cb_.onText(content);
        if (auto tc = field(msg, "tool_calls"); tc && tc->is_array()) {
            size_t pos = 0;
            for (auto& t : tc->get_array())
                if (t.is_object()) addToolDelta(t.get_object(), pos++);
        }
        break;
    }
    flushToolCalls();
    return true;
}

void ChatStreamDecoder::finish() { flushToolCalls(); }

void ChatStreamDecoder::addToolDelta(const json::object& d, size_t position) {
    // Fragments of one call share an index. Servers that send whole calls may omit it: then
    // the id tells calls apart (a new id is a new call), else the position in the array.
    auto idx = field(d, "index");
    std::string id = stringField(d, "id");
    int64_t index = static_cast<int64_t>(position);
    if (idx && idx->is_int64()) {
        index = idx->get_int64();
    } else if (!id.empty()) {
        auto same = std::find_if(calls_.begin(), calls_.end(),
                                 [&](auto& entry) { return entry.second.call.id == id; });
        if (same != calls_.end()) index = same->first;
        else if (!calls_.empty()) index = calls_.rbegin()->first + 1;
    }
    auto& pending = calls_[index];
    if (pending.emitted) {  // a new call reusing an index after a flush
        pending = {};
    }
    if (!id.empty()) pending.call.id = id;
    if (auto f = field(d, "function"); f && f->is_object()) {
        auto& fn = f->get_object();
        std::string name = stringField(fn, "name");
        // OpenAI sends the name once; tolerate servers that repeat it on every fragment.
        if (!name.empty() && name != pending.call.name) pending.call.name += name;
        if (auto a = field(fn, "arguments")) {
            if (a->is_string()) pending.call.arguments += std::string(a->get_string());
            else pending.call.arguments += json::serialize(*a);  // Ollama-style object
        }
    }
}

void ChatStreamDecoder::readUsage(const json::object& chunk) {
    auto u = field(chunk, "usage");
    if (!u || !u->is_object()) return;
    auto& usage = u->get_object();
    if (auto p = numberField(usage, "prompt_tokens"))
        usage_.promptTokens = static_cast<int64_t>(*p);
    if (auto c = numberField(usage, "completion_tokens"))
        usage_.completionTokens = static_cast<int64_t>(*c);
}

void ChatStreamDecoder::flushToolCalls() {
    for (auto& [index, pending] : calls_) {
        if (pending.emitted) continue;
        pending.emitted = true;
        if (pending.call.name.empty() && pending.call.arguments.empty()) continue;
        if (cb_.onToolCall && !stopped_()) cb_.onToolCall(pending.call);
    }
}

// ---- Provider ------------------------------------------------------------------------

namespace {

using TurnState = LlmTurnState;
using Turn = LlmTurnHandle<TurnState>;

// The bytes of a non-SSE 2xx body kept in case it is a plain JSON completion.
constexpr size_t kMaxPlainBody = 1024 * 1024;

asio::awaitable<void> runTurn(std::shared_ptr<TurnState> s, net::HttpClientRequest req,
                              std::string label) {
    // However the turn ends, drop the callbacks (and whatever they capture, possibly the
    // turn handle itself) once it is over. Never earlier: a callback may be running.
    struct ReleaseCallbacks {
        TurnState& s;
        ~ReleaseCallbacks() { s.cb = {}; }
    } release{*s};
    SseParser parser;
    std::vector<SseEvent> events;
    ChatStreamDecoder decoder(s->cb, [s] { return s->stopped; });
    bool done = false;
    bool streamError = false;
    std::string plain;  // raw body while no SSE event has been seen

    auto handle = [&](std::vector<SseEvent>& evs) {
        for (auto& e : evs) {
            if (s->stopped || done || streamError) break;
            if (e.isDone()) {
                done = true;
            } else if (!decoder.onData(e.data)) {
                streamError = true;
                s->token->cancel();  // stop reading; reported below
            }
        }
        evs.clear();
    };
    net::BodyChunkHandler onBytes = [&](std::string_view bytes) {
        if (s->stopped || done || streamError) return;
        if (!decoder.sawChunk() && plain.size() < kMaxPlainBody) plain.append(bytes);
        if (!parser.feed(bytes, events)) {
            streamError = true;
            s->token->cancel();
            return;
        }
        handle(events);
    };
    std::string url = req.url;
    net::HttpClientResult r = co_await net::fetch(std::move(req), std::move(onBytes), s->token);
    if (s->stopped) co_return;

    if (streamError) {
        fail(*s, {FailureCause::BadMessage,
                  label + ": " + (parser.overflowed() ? std::string("stream event too large") : decoder.error())});
    } else if (r.ok() && !r.success()) {
        fail(*s, {httpFailure(r, false), label + ": " + describeHttpError(r.status, r.body, url), true, r.status,
                  errorCode(r.body)});
    } else if (!r.ok() && !done) {
        using Kind = net::HttpClientResult::ErrorKind;
        std::string what = r.errorKind == Kind::Timeout ? "timed out: " : "request failed: ";
        fail(*s, {httpFailure(r, decoder.sawChunk()), label + ": " + what + r.error + " (" + url + ")"});
    } else {
        if (!done) {
            parser.finish(events);
            handle(events);
        }
        if (streamError) {
            fail(*s, {FailureCause::BadMessage, label + ": " + decoder.error()});
        } else if (!decoder.sawChunk() && !done) {
            // Not a stream: a server that ignored stream:true, or something else entirely.
            if (!decoder.onCompletion(plain)) fail(*s, {FailureCause::BadMessage, label + ": " + decoder.error()});
        }
        if (!s->stopped) {
            decoder.finish();
            if (!s->stopped) {
                s->stopped = true;
                if (s->cb.onDone) s->cb.onDone(decoder.usage());
            }
        }
    }
}

class Session final : public LlmSession {
public:
    Session(LlmSettings settings, Context ctx)
        : settings_(std::move(settings)), ctx_(std::move(ctx)) {
        // The call has started: TCP and TLS to the model's host are done before its first turn.
        if (settings_.error.empty()) net::warm(ctx_.executor, settings_.url, settings_.source);
    }
    ~Session() override {
        // The call is going away: nothing may call back into it.
        for (auto& w : turns_)
            if (auto s = w.lock()) s->stop();
    }

    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override {
        auto state = std::make_shared<TurnState>();
        std::string label = settings_.provider.empty() ? "llm" : settings_.provider;
        state->cb = timeFirstToken(std::move(cb), label);
        std::erase_if(turns_, [](const std::weak_ptr<TurnState>& w) { return w.expired(); });
        turns_.push_back(state);
        if (!settings_.error.empty()) {
            // Report asynchronously, like every other outcome.
            asio::post(ctx_.executor, [state, msg = label + ": " + settings_.error] {
                fail(*state, {FailureCause::BadRequest, msg});
                state->cb = {};
            });
            return std::make_shared<Turn>(state);
        }
        net::HttpClientRequest http;
        http.method = "POST";
        http.url = settings_.url;
        http.source = settings_.source;
        http.headers = settings_.headers;
        if (!settings_.metadataSendMode.empty() && settings_.metadataSendMode != "off" && ctx_.serverRequest) {
            // custom-llm: the call as Vapi sends it (metadataSendMode), built like a server message.
            json::object message;
            boost::system::error_code ec;
            auto v = json::parse(ctx_.serverRequest(json::object{}, "custom-llm", {}).body, ec);
            if (!ec && v.is_object())
                if (auto m = v.get_object().if_contains("message"); m && m->is_object()) message = m->get_object();
            json::object extras = customLlmExtras(settings_.metadataSendMode, message);
            http.body = buildRequestBody(settings_, req, &extras);
        } else {
            http.body = buildRequestBody(settings_, req);
        }
        http.connectTimeout = settings_.timeout;
        http.readTimeout = settings_.timeout;
        asio::co_spawn(ctx_.executor, runTurn(state, std::move(http), std::move(label)),
                       asio::detached);
        return std::make_shared<Turn>(state);
    }

private:
    LlmSettings settings_;
    Context ctx_;
    std::vector<std::weak_ptr<TurnState>> turns_;
};

class Provider final : public LlmProvider {
public:
    explicit Provider(std::string base) : defaultBaseUrl_(std::move(base)) {}
    std::unique_ptr<LlmSession> open(const json::object& config, const Context& ctx) override {
        return std::make_unique<Session>(resolveSettings(config, ctx, defaultBaseUrl_), ctx);
    }

private:
    std::string defaultBaseUrl_;
};

}  // namespace

std::shared_ptr<LlmProvider> makeLlmProvider(std::string defaultBaseUrl) {
    return std::make_shared<Provider>(std::move(defaultBaseUrl));
}

}  // namespace voxa::providers::openai

// Anthropic's Messages API without I/O (anthropic.h): the request body from the pipeline's
// OpenAI-format conversation, and the stream decoder. Unit-tested and fuzzed
// (tests/fuzz/provider_messages_fuzz.cpp).
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/json_fields.h"
#include "providers/anthropic/anthropic.h"
#include "providers/streaming.h"

namespace voxa::providers::anthropic {

namespace json = boost::json;
using json_fields::obj;
using json_fields::str;

namespace {

// What stands in for the caller when the conversation does not start with them (a
// firstMessage is the assistant's): Anthropic wants the first message to be the user's.
constexpr std::string_view kCallStarted = "(The call has started.)";

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

/// An OpenAI message's content as text: a string, or the text parts of an array.
std::string textOf(const json::object& m) {
    auto* c = m.if_contains("content");
    if (!c) return {};
    if (c->is_string()) return std::string(c->get_string());
    std::string out;
    if (c->is_array())
        for (auto& p : c->get_array())
            if (p.is_object() && str(p.get_object(), "type") == "text") {
                if (!out.empty()) out += "\n";
                out += str(p.get_object(), "text");
            }
    return out;
}

/// Anthropic's tool_use ids are [a-zA-Z0-9_-]+; another provider's (a fallback's) may not be.
std::string toolId(std::string_view id, size_t n) {
    if (id.empty()) return "toolu_voxa_" + std::to_string(n);
    std::string out(id.substr(0, 128));
    for (auto& c : out)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) c = '_';
    return out;
}

json::object textBlock(std::string text) { return {{"type", "text"}, {"text", std::move(text)}}; }

json::value toolInput(const json::object& call) {
    std::string args;
    if (auto* f = obj(call, "function")) {
        auto* a = f->if_contains("arguments");
        if (a && a->is_object()) return *a;  // some servers hand over an object
        if (a && a->is_string()) args = a->get_string();
    }
    boost::system::error_code ec;
    auto v = json::parse(args, ec);
    if (!ec && v.is_object()) return v;
    return json::object{};  // input must be an object; a broken one is dropped, not sent
}

std::string role(const json::value& m) { return str(m.as_object(), "role"); }

/// Messages of one role follow each other in Anthropic's list: the blocks are appended.
void append(json::array& out, std::string_view r, json::array blocks) {
    if (blocks.empty()) return;
    if (!out.empty() && role(out.back()) == r) {
        auto& content = out.back().as_object()["content"].as_array();
        for (auto& b : blocks) content.push_back(std::move(b));
        return;
    }
    out.push_back(json::object{{"role", r}, {"content", std::move(blocks)}});
}

/// Every tool_use answered by a tool_result in the next (user) message, results first;
/// results that answer nothing become text (Anthropic refuses both).
json::array pairToolResults(json::array in) {
    json::array out;
    std::vector<std::string> open;  // tool_use ids of the last assistant message
    for (size_t i = 0; i < in.size(); ++i) {
        auto& m = in[i].as_object();
        auto& content = m["content"].as_array();
        if (role(in[i]) == "assistant") {
            open.clear();
            for (auto& b : content)
                if (str(b.as_object(), "type") == "tool_use") open.push_back(str(b.as_object(), "id"));
            out.push_back(std::move(in[i]));
            if (!open.empty() && (i + 1 >= in.size() || role(in[i + 1]) != "user"))
                out.push_back(json::object{{"role", "user"}, {"content", json::array{}}});
            else
                continue;
        } else {
            out.push_back(std::move(in[i]));
        }
        // A user message: sort its blocks against the tool_use ids before it.
        auto& user = out.back().as_object()["content"].as_array();
        json::array results, rest;
        std::set<std::string> answered;
        for (auto& b : user) {
            auto& bo = b.as_object();
            if (str(bo, "type") != "tool_result") {
                rest.push_back(std::move(b));
                continue;
            }
            std::string id = str(bo, "tool_use_id");
            if (std::find(open.begin(), open.end(), id) != open.end() && answered.insert(id).second) {
                results.push_back(std::move(b));
            } else {
                std::string text = "Result of an earlier tool call";
                if (auto* c = bo.if_contains("content"); c && c->is_string() && !blank(c->get_string()))
                    text += ": " + std::string(c->get_string());
                rest.push_back(textBlock(std::move(text)));
            }
        }
        for (auto& id : open)
            if (!answered.count(id))
                results.push_back(json::object{{"type", "tool_result"}, {"tool_use_id", id},
                                               {"content", "No result."}, {"is_error", true}});
        for (auto& b : rest) results.push_back(std::move(b));
        user = std::move(results);
        open.clear();
    }
    return out;
}

int64_t intOf(const json::value* v, int64_t def) {
    if (!v) return def;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return v->get_uint64() > uint64_t(INT64_MAX) ? def : int64_t(v->get_uint64());
    return def;
}

FailureCause causeFor(int status) {
    switch (status) {
        case 400:
        case 413: return FailureCause::BadRequest;
        case 401: return FailureCause::Unauthorized;
        case 402:
        case 403: return FailureCause::Forbidden;
        case 404: return FailureCause::NotFound;
        case 429: return FailureCause::RateLimited;
        case 0: return FailureCause::Other;
        default: return status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
}

bool plainToken(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

}  // namespace

std::string messagesUrl(std::string_view base) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    constexpr std::string_view kPath = "/v1/messages";
    if (base.ends_with(kPath)) return std::string(base);
    if (base.ends_with("/v1")) return std::string(base) + "/messages";
    return std::string(base) + std::string(kPath);
}

json::object buildRequest(const Settings& s, const LlmRequest& req, const ThinkingByToolUse* thinking) {
    std::string system;
    json::array messages;
    size_t calls = 0;
    for (auto& v : req.messages) {
        if (!v.is_object()) continue;
        auto& m = v.get_object();
        std::string r = str(m, "role");
        std::string text = textOf(m);
        if (r == "system" || r == "developer") {
            if (blank(text)) continue;
            if (!system.empty()) system += "\n\n";
            system += text;
        } else if (r == "user") {
            json::array blocks;
            if (!blank(text)) blocks.push_back(textBlock(std::move(text)));
            append(messages, "user", std::move(blocks));
        } else if (r == "assistant") {
            json::array blocks;
            auto* tc = m.if_contains("tool_calls");
            const json::array* toolCalls = tc && tc->is_array() ? &tc->get_array() : nullptr;
            // The reply's thinking goes back first, unchanged, when it led to these tool calls.
            if (thinking && toolCalls && !toolCalls->empty() && toolCalls->front().is_object()) {
                auto it = thinking->find(toolId(str(toolCalls->front().get_object(), "id"), calls));
                if (it != thinking->end())
                    for (auto& b : it->second) blocks.push_back(b);
            }
            if (!blank(text)) blocks.push_back(textBlock(std::move(text)));
            if (toolCalls)
                for (auto& c : *toolCalls) {
                    if (!c.is_object()) continue;
                    auto& call = c.get_object();
                    auto* f = obj(call, "function");
                    blocks.push_back(json::object{{"type", "tool_use"},
                                                  {"id", toolId(str(call, "id"), calls++)},
                                                  {"name", f ? str(*f, "name") : std::string()},
                                                  {"input", toolInput(call)}});
                }
            append(messages, "assistant", std::move(blocks));
        } else if (r == "tool") {
            json::object result{{"type", "tool_result"}, {"tool_use_id", toolId(str(m, "tool_call_id"), calls)}};
            if (!blank(text)) result["content"] = std::move(text);
            append(messages, "user", json::array{std::move(result)});
        }
    }
    messages = pairToolResults(std::move(messages));
    if (messages.empty() || role(messages.front()) != "user")
        messages.insert(messages.begin(),
                        json::object{{"role", "user"}, {"content", json::array{textBlock(std::string(kCallStarted))}}});
    // A last assistant message is a prefill the model continues: no trailing white space.
    if (role(messages.back()) == "assistant") {
        auto& content = messages.back().as_object()["content"].as_array();
        auto& last = content.back().as_object();
        if (str(last, "type") == "text") {
            std::string t = str(last, "text");
            while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
            last["text"] = t;
        }
    }

    json::array tools;
    for (auto& t : req.tools) {
        if (!t.is_object()) continue;
        auto* f = obj(t.get_object(), "function");
        if (!f || str(*f, "name").empty()) continue;
        json::object schema;
        if (auto* p = obj(*f, "parameters")) schema = *p;
        if (!schema.contains("type")) schema["type"] = "object";
        json::object tool{{"name", str(*f, "name")}};
        if (std::string d = str(*f, "description"); !d.empty()) tool["description"] = d;
        tool["input_schema"] = std::move(schema);
        tools.push_back(std::move(tool));
    }

    json::object body;
    body["model"] = s.model;
    int64_t maxTokens = std::max<int64_t>(1, s.maxTokens);
    if (s.thinkingBudget) {
        // Anthropic: max_tokens must exceed budget_tokens (the thinking is part of it).
        if (maxTokens <= *s.thinkingBudget) maxTokens += *s.thinkingBudget;
        body["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", *s.thinkingBudget}};
    }
    body["max_tokens"] = maxTokens;
    body["stream"] = true;
    if (!system.empty()) body["system"] = system;
    body["messages"] = std::move(messages);
    if (!tools.empty()) body["tools"] = std::move(tools);
    // Thinking does not go with a temperature other than the default.
    if (s.temperature && !s.thinkingBudget) body["temperature"] = *s.temperature;
    return body;
}

int statusForErrorType(std::string_view type) {
    // https://docs.anthropic.com/en/api/errors
    if (type == "invalid_request_error") return 400;
    if (type == "authentication_error") return 401;
    if (type == "billing_error") return 402;
    if (type == "permission_error") return 403;
    if (type == "not_found_error") return 404;
    if (type == "request_too_large") return 413;
    if (type == "rate_limit_error") return 429;
    if (type == "api_error") return 500;
    if (type == "timeout_error") return 504;
    if (type == "overloaded_error") return 529;
    return 0;
}

std::string errorType(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    auto* e = obj(v.get_object(), "error");
    std::string type = e ? str(*e, "type") : std::string();
    return plainToken(type) ? type : std::string();
}

std::string describeHttpError(int status, std::string_view body, std::string_view url) {
    std::string detail;
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (!ec && v.is_object())
        if (auto* e = obj(v.get_object(), "error")) detail = str(*e, "message");
    if (detail.empty()) detail = std::string(body);
    std::string out = "HTTP " + std::to_string(status) + " from " + printable(url, 200);
    if (!detail.empty()) out += ": " + printable(detail, 300);
    return out;
}

// ---- StreamDecoder ---------------------------------------------------------------------

bool StreamDecoder::fail(ProviderError e) {
    if (finished_) return false;
    finished_ = failed_ = true;
    if (cb_.onError && !stopped_()) cb_.onError(e);
    return false;
}

bool StreamDecoder::onEvent(std::string_view event, std::string_view data) {
    if (finished_) return !failed_;
    boost::system::error_code ec;
    auto v = json::parse(data, ec);
    if (ec || !v.is_object())
        return fail({FailureCause::BadMessage, "anthropic: unparsable stream event: " + printable(data, 200)});
    auto& o = v.get_object();
    std::string type = str(o, "type");
    if (type.empty()) type = std::string(event);
    sawEvent_ = true;
    return handle(type, o);
}

bool StreamDecoder::handle(std::string_view type, const json::object& o) {
    if (type == "ping") return true;
    if (type == "error") {
        auto* e = obj(o, "error");
        std::string kind = e ? str(*e, "type") : std::string();
        if (!plainToken(kind)) kind.clear();
        int status = statusForErrorType(kind);
        std::string msg = e ? str(*e, "message") : std::string();
        return fail({status ? causeFor(status) : FailureCause::ServerError,
                     "anthropic: stream error " + (kind.empty() ? std::string("(no type)") : kind) +
                         (msg.empty() ? std::string() : ": " + printable(msg, 200)),
                     true, status, kind});
    }
    if (type == "message_start") {
        if (auto* m = obj(o, "message"))
            if (auto* u = obj(*m, "usage")) readUsage(*u);
        return true;
    }
    if (type == "message_delta") {
        if (auto* d = obj(o, "delta"))
            if (std::string r = str(*d, "stop_reason"); !r.empty()) stopReason_ = printable(r, 64);
        if (auto* u = obj(o, "usage")) readUsage(*u);
        return true;
    }
    if (type == "message_stop") {
        for (auto& [index, b] : blocks_) stopBlock(b);  // a block left open: done now
        if (finished_) return !failed_;
        finished_ = true;
        if (cb_.onDone && !stopped_()) cb_.onDone(usage_);
        return true;
    }
    if (type != "content_block_start" && type != "content_block_delta" && type != "content_block_stop")
        return true;  // Anthropic may add event types: ignored, as its docs ask

    int64_t index = intOf(o.if_contains("index"), -1);
    if (index < 0) return fail({FailureCause::BadMessage, "anthropic: " + std::string(type) + " without an index"});
    auto it = blocks_.find(index);
    if (it == blocks_.end()) {
        if (blocks_.size() >= kMaxBlocks)
            return fail({FailureCause::BadMessage, "anthropic: more than 64 content blocks in one message"});
        it = blocks_.emplace(index, Block{}).first;
    }
    Block& b = it->second;
    if (type == "content_block_stop") {
        stopBlock(b);
        return true;
    }
    if (b.stopped) return true;  // nothing belongs to a block after its stop
    if (type == "content_block_start") {
        auto* cb = obj(o, "content_block");
        if (!cb) return true;
        b.type = str(*cb, "type");
        if (b.type == "tool_use") {
            b.id = str(*cb, "id");
            b.name = str(*cb, "name");
            // The input streams as input_json_delta; one given whole at the start is kept.
            if (auto* in = obj(*cb, "input"); in && !in->empty()) b.input = json::serialize(*in);
        } else if (b.type == "text") {
            std::string text = str(*cb, "text");
            if (!text.empty() && cb_.onText && !stopped_()) cb_.onText(text);
        } else if (b.type == "thinking") {
            b.thinking = str(*cb, "thinking");
            b.signature = str(*cb, "signature");
        } else if (b.type == "redacted_thinking") {
            b.data = str(*cb, "data");
        }
        return true;
    }
    // content_block_delta
    auto* d = obj(o, "delta");
    if (!d) return true;
    std::string dt = str(*d, "type");
    if (dt == "text_delta") {
        if (b.type.empty()) b.type = "text";
        std::string text = str(*d, "text");
        if (!text.empty() && cb_.onText && !stopped_()) cb_.onText(text);
    } else if (dt == "input_json_delta") {
        if (b.type.empty()) b.type = "tool_use";
        auto* p = d->if_contains("partial_json");
        if (p && p->is_string()) {
            if (b.input.size() + p->get_string().size() > kMaxToolInput)
                return fail({FailureCause::BadMessage, "anthropic: tool input larger than 1 MiB"});
            b.input += p->get_string();
        }
    } else if (dt == "thinking_delta" || dt == "signature_delta") {
        // Not spoken; kept (bounded) to hand back with the tool results of this reply.
        std::string piece = str(*d, dt == "thinking_delta" ? "thinking" : "signature");
        thinkingBytes_ += piece.size();
        if (thinkingBytes_ > kMaxThinking) {
            thinkingDropped_ = true;
            b.thinking.clear();
            b.signature.clear();
        } else if (dt == "thinking_delta") {
            b.thinking += piece;
        } else {
            b.signature += piece;
        }
    }
    return true;
}

void StreamDecoder::stopBlock(Block& b) {
    if (b.stopped) return;
    b.stopped = true;
    if (b.type == "tool_use") {
        if (b.name.empty()) return;  // not a call anyone can run
        toolUseIds_.push_back(b.id);
        ToolCall call{b.id, b.name, b.input.empty() ? std::string("{}") : std::move(b.input)};
        b.input.clear();
        if (cb_.onToolCall && !stopped_()) cb_.onToolCall(call);
    } else if (b.type == "thinking" && !thinkingDropped_) {
        thinking_.push_back(json::object{{"type", "thinking"}, {"thinking", std::move(b.thinking)},
                                         {"signature", std::move(b.signature)}});
    } else if (b.type == "redacted_thinking" && !thinkingDropped_) {
        thinkingBytes_ += b.data.size();
        if (thinkingBytes_ > kMaxThinking) thinkingDropped_ = true;
        else thinking_.push_back(json::object{{"type", "redacted_thinking"}, {"data", std::move(b.data)}});
    }
}

void StreamDecoder::readUsage(const json::object& u) {
    // Counts are cumulative: message_delta's replace message_start's.
    auto read = [&](std::string_view key, int64_t& into) {
        if (auto n = json_fields::optNum(u, key); n && *n >= 0 && *n < 1e15) into = static_cast<int64_t>(*n);
    };
    read("input_tokens", inputTokens_);
    read("cache_read_input_tokens", cacheRead_);
    read("cache_creation_input_tokens", cacheWrite_);
    read("output_tokens", usage_.completionTokens);
    // Anthropic's input_tokens leave the cached ones out; Usage counts every prompt token.
    usage_.promptTokens = inputTokens_ + cacheRead_ + cacheWrite_;
    usage_.cachedPromptTokens = cacheRead_;
    usage_.cacheWriteTokens = cacheWrite_;
}

json::array StreamDecoder::takeThinking() {
    if (thinkingDropped_) return {};
    return std::exchange(thinking_, {});
}

}  // namespace voxa::providers::anthropic

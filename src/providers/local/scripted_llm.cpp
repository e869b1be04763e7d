#include "providers/local/scripted_llm.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>
#include <regex>

namespace voxa::providers::local {

namespace asio = boost::asio;
namespace json = boost::json;

std::vector<std::string> scriptedWords(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        // Non-ASCII bytes are kept inside words so UTF-8 text still splits on spaces.
        if (std::isalnum(c) || ch == '\'' || c >= 0x80) {
            cur += char(std::tolower(c));
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

bool containsScriptedPhrase(const std::vector<std::string>& hay, const std::vector<std::string>& phrase) {
    if (phrase.empty() || phrase.size() > hay.size()) return false;
    return std::search(hay.begin(), hay.end(), phrase.begin(), phrase.end()) != hay.end();
}

namespace {

using Words = std::vector<std::string>;

std::string str(const json::object& o, const char* key, std::string def = {}) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : def;
}

/// Message content as text: a string, or the "text" parts of an array of parts.
std::string contentText(const json::value& content) {
    if (content.is_string()) return std::string(content.get_string());
    std::string out;
    if (content.is_array()) {
        for (auto& part : content.get_array()) {
            if (!part.is_object()) continue;
            auto t = str(part.get_object(), "text");
            if (t.empty()) continue;
            if (!out.empty()) out += ' ';
            out += t;
        }
    }
    return out;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

struct Vars {
    std::string text;
    std::string result;
    std::vector<std::string> groups;  // regex match and captures
};

std::string expand(const std::string& tpl, const Vars& v) {
    std::string out;
    size_t i = 0;
    while (i < tpl.size()) {
        auto open = tpl.find("{{", i);
        auto close = open == std::string::npos ? open : tpl.find("}}", open + 2);
        if (close == std::string::npos) {
            out += tpl.substr(i);
            break;
        }
        out += tpl.substr(i, open - i);
        auto name = trim(tpl.substr(open + 2, close - open - 2));
        if (name == "text") {
            out += v.text;
        } else if (name == "result") {
            out += v.result;
        } else if (name.size() == 1 && std::isdigit(static_cast<unsigned char>(name[0]))) {
            size_t g = size_t(name[0] - '0');
            if (g < v.groups.size()) out += v.groups[g];
        } else {
            out += tpl.substr(open, close + 2 - open);  // unknown: left as written
        }
        i = close + 2;
    }
    return out;
}

json::value expandJson(const json::value& val, const Vars& v) {
    if (val.is_string()) return json::value(expand(std::string(val.get_string()), v));
    if (val.is_array()) {
        json::array a;
        for (auto& e : val.get_array()) a.push_back(expandJson(e, v));
        return a;
    }
    if (val.is_object()) {
        json::object o;
        for (auto& [k, e] : val.get_object()) o[k] = expandJson(e, v);
        return o;
    }
    return val;
}

struct Rule {
    std::vector<Words> any;
    std::vector<Words> all;
    std::optional<std::regex> regex;
    std::string reply;
    std::string tool;
    json::value arguments;  // object (or null -> {})
    std::string toolReply;
};

struct Script {
    std::vector<Rule> rules;
    std::string fallback = "You said: {{text}}";
    std::string emptyReply = "Sorry, I didn't catch that. Could you say it again?";
    std::string greeting = "Hello! How can I help you today?";
    std::string toolReply = "{{result}}";
    int tokenDelayMs = 0;
    std::string error;  // invalid config, reported on complete()
};

std::vector<Words> keywordList(const json::value* v) {
    std::vector<Words> out;
    auto add = [&](const json::value& k) {
        if (!k.is_string()) return;
        auto w = scriptedWords(k.get_string());
        if (!w.empty()) out.push_back(std::move(w));
    };
    if (v && v->is_array()) {
        for (auto& k : v->get_array()) add(k);
    } else if (v) {
        add(*v);
    }
    return out;
}

Rule simpleRule(std::initializer_list<const char*> keys, const char* reply) {
    Rule r;
    for (auto* k : keys) r.any.push_back(scriptedWords(k));
    r.reply = reply;
    return r;
}

Script parseScript(const json::object& cfg) {
    Script s;
    s.fallback = str(cfg, "fallback", s.fallback);
    s.emptyReply = str(cfg, "emptyReply", s.emptyReply);
    s.greeting = str(cfg, "greeting", s.greeting);
    s.toolReply = str(cfg, "toolReply", s.toolReply);
    if (auto* d = cfg.if_contains("tokenDelayMs"); d && d->is_number())
        s.tokenDelayMs = std::clamp(d->to_number<int>(), 0, 10000);
    auto* rules = cfg.if_contains("rules");
    if (rules && rules->is_array() && !rules->get_array().empty()) {
        size_t n = 0;
        for (auto& rv : rules->get_array()) {
            ++n;
            if (!rv.is_object()) {
                s.error = "model.rules[" + std::to_string(n - 1) + "] is not an object";
                continue;
            }
            auto& o = rv.get_object();
            Rule r;
            r.any = keywordList(o.if_contains("match"));
            r.all = keywordList(o.if_contains("all"));
            if (auto re = str(o, "regex"); !re.empty()) {
                try {
                    r.regex.emplace(re, std::regex::ECMAScript | std::regex::icase);
                } catch (const std::regex_error& e) {
                    s.error = "model.rules[" + std::to_string(n - 1) + "].regex is invalid: " +
                              e.what();
                    continue;
                }
            }
            r.reply = str(o, "reply");
            r.tool = str(o, "tool");
            if (auto* a = o.if_contains("arguments")) r.arguments = *a;
            r.toolReply = str(o, "toolReply");
            s.rules.push_back(std::move(r));
        }
    } else {
        s.rules.push_back(simpleRule({"hello", "hi", "hey", "good morning", "good afternoon",
                                      "good evening"},
                                     "Hello! How can I help you today?"));
        s.rules.push_back(
            simpleRule({"bye", "goodbye", "good bye", "see you"}, "Goodbye! Have a great day."));
    }
    return s;
}

/// Whether `r` fires on `text`; fills the regex groups into `v`.
bool fires(const Rule& r, const std::string& text, const Words& w, Vars& v) {
    if (!r.any.empty() &&
        std::none_of(r.any.begin(), r.any.end(), [&](auto& k) { return containsScriptedPhrase(w, k); }))
        return false;
    if (!std::all_of(r.all.begin(), r.all.end(), [&](auto& k) { return containsScriptedPhrase(w, k); }))
        return false;
    if (r.regex) {
        std::smatch m;
        if (!std::regex_search(text, m, *r.regex)) return false;
        v.groups.clear();
        for (auto& g : m) v.groups.push_back(g.str());
    }
    return true;
}

/// The function name of the tool call `callId` in the assistant messages, if any.
std::string toolNameFor(const json::array& msgs, const std::string& callId) {
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
        if (!it->is_object()) continue;
        auto* calls = it->get_object().if_contains("tool_calls");
        if (!calls || !calls->is_array()) continue;
        for (auto& c : calls->get_array()) {
            if (!c.is_object() || str(c.get_object(), "id") != callId) continue;
            auto* f = c.get_object().if_contains("function");
            return f && f->is_object() ? str(f->get_object(), "name") : "";
        }
    }
    return "";
}

struct Plan {
    std::string reply;
    std::optional<ToolCall> tool;
    Usage usage;
};

Plan plan(const Script& s, const json::array& msgs, int& callCounter) {
    Plan p;
    for (auto& m : msgs) {
        if (auto* c = m.is_object() ? m.get_object().if_contains("content") : nullptr)
            p.usage.promptTokens += int64_t(scriptedWords(contentText(*c)).size());
    }
    const json::object* last = nullptr;
    if (!msgs.empty() && msgs.back().is_object()) last = &msgs.back().get_object();

    Vars v;
    if (last && str(*last, "role") == "tool") {
        if (auto* c = last->if_contains("content")) v.result = contentText(*c);
        auto name = toolNameFor(msgs, str(*last, "tool_call_id"));
        std::string tpl = s.toolReply;
        for (auto& r : s.rules) {
            if (!name.empty() && r.tool == name && !r.toolReply.empty()) {
                tpl = r.toolReply;
                break;
            }
        }
        p.reply = expand(tpl, v);
    } else {
        const json::object* user = nullptr;
        for (auto it = msgs.rbegin(); it != msgs.rend() && !user; ++it) {
            if (it->is_object() && str(it->get_object(), "role") == "user")
                user = &it->get_object();
        }
        if (!user) {
            p.reply = s.greeting;
        } else {
            auto* c = user->if_contains("content");
            v.text = trim(c ? contentText(*c) : "");
            auto w = scriptedWords(v.text);
            if (w.empty()) {
                p.reply = s.emptyReply;
            } else {
                const Rule* hit = nullptr;
                for (auto& r : s.rules) {
                    if (fires(r, v.text, w, v)) {
                        hit = &r;
                        break;
                    }
                }
                if (!hit) {
                    p.reply = expand(s.fallback, v);
                } else {
                    p.reply = expand(hit->reply, v);
                    if (!hit->tool.empty()) {
                        auto args = hit->arguments.is_null() ? json::value(json::object())
                                                             : expandJson(hit->arguments, v);
                        p.tool = ToolCall{"call_local_" + std::to_string(++callCounter),
                                          hit->tool, json::serialize(args)};
                    }
                }
            }
        }
    }
    p.usage.completionTokens = int64_t(scriptedWords(p.reply).size());
    return p;
}

/// Splits a reply into streamed pieces: "Hello!", " How", " can", ...
std::vector<std::string> pieces(const std::string& reply) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < reply.size()) {
        auto b = reply.find_first_not_of(' ', i);
        if (b == std::string::npos) break;
        auto e = reply.find(' ', b);
        if (e == std::string::npos) e = reply.size();
        out.push_back((out.empty() ? "" : " ") + reply.substr(b, e - b));
        i = e;
    }
    return out;
}

class ScriptedTurn final : public LlmTurn, public std::enable_shared_from_this<ScriptedTurn> {
public:
    ScriptedTurn(asio::any_io_executor ex, LlmCallbacks cb, int delayMs)
        : ex_(ex), timer_(ex), cb_(std::move(cb)), delay_(delayMs) {}

    void start(Plan p, std::string error) {
        plan_ = std::move(p);
        error_ = std::move(error);
        pieces_ = pieces(plan_.reply);
        asio::post(ex_, [self = shared_from_this()] { self->step(); });
    }

    void cancel() override {
        cancelled_ = true;
        timer_.cancel();
    }

private:
    void step() {
        if (cancelled_) return;
        if (!error_.empty()) {
            if (cb_.onError) cb_.onError(ProviderError{FailureCause::BadRequest, error_, true});
            return;
        }
        if (next_ < pieces_.size()) {
            if (cb_.onText) cb_.onText(pieces_[next_]);
            ++next_;
            schedule();
            return;
        }
        if (plan_.tool && cb_.onToolCall) {
            cb_.onToolCall(*plan_.tool);
            if (cancelled_) return;
        }
        if (cb_.onDone) cb_.onDone(plan_.usage);
        cancelled_ = true;  // done: nothing more may fire
    }

    void schedule() {
        if (cancelled_) return;
        auto self = shared_from_this();
        if (delay_ <= 0 || next_ >= pieces_.size()) {
            asio::post(ex_, [self] { self->step(); });
            return;
        }
        timer_.expires_after(std::chrono::milliseconds(delay_));
        timer_.async_wait([self](boost::system::error_code ec) {
            if (!ec) self->step();
        });
    }

    asio::any_io_executor ex_;
    asio::steady_timer timer_;
    LlmCallbacks cb_;
    int delay_;
    Plan plan_;
    std::string error_;
    std::vector<std::string> pieces_;
    size_t next_ = 0;
    std::atomic<bool> cancelled_{false};
};

class ScriptedSession final : public LlmSession {
public:
    ScriptedSession(const json::object& cfg, const Context& ctx)
        : script_(parseScript(cfg)), ex_(ctx.executor) {}

    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override {
        auto turn = std::make_shared<ScriptedTurn>(ex_, std::move(cb), script_.tokenDelayMs);
        Plan p;
        if (script_.error.empty()) p = plan(script_, req.messages, callCounter_);
        turn->start(std::move(p), script_.error);
        return turn;
    }

private:
    Script script_;
    asio::any_io_executor ex_;
    int callCounter_ = 0;
};

class ScriptedProvider final : public LlmProvider {
public:
    std::unique_ptr<LlmSession> open(const json::object& config, const Context& ctx) override {
        return std::make_unique<ScriptedSession>(config, ctx);
    }
};

}  // namespace

std::shared_ptr<LlmProvider> makeScriptedProvider() { return std::make_shared<ScriptedProvider>(); }

}  // namespace voxa::providers::local

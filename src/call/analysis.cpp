#include "call/analysis.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <optional>
#include <regex>
#include <set>

#include "common/json_fields.h"
#include "common/offload.h"
#include "providers/fallback.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::obj;
using json_fields::str;
using Clock = std::chrono::steady_clock;

namespace {

// ---- Text helpers ----------------------------------------------------------------------

using Words = std::vector<std::string>;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

/// Lower-cased words: letters, digits, apostrophes (and UTF-8 bytes, kept inside words).
Words words(std::string_view text) {
    Words out;
    std::string cur;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || ch == '\'' || c >= 0x80) {
            cur += char(std::tolower(c));
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    for (auto& w : out) {  // "'cause" / "ok'" -> trim stray quotes
        while (!w.empty() && w.front() == '\'') w.erase(0, 1);
        while (!w.empty() && w.back() == '\'') w.pop_back();
    }
    std::erase_if(out, [](const std::string& w) { return w.empty(); });
    return out;
}

/// Index just past the first occurrence of `phrase` in `hay` at or after `from`, or npos.
size_t findPhrase(const Words& hay, const Words& phrase, size_t from = 0) {
    if (phrase.empty() || phrase.size() > hay.size()) return std::string::npos;
    for (size_t i = from; i + phrase.size() <= hay.size(); ++i)
        if (std::equal(phrase.begin(), phrase.end(), hay.begin() + long(i)))
            return i + phrase.size();
    return std::string::npos;
}

bool hasPhrase(const Words& hay, std::string_view phrase) {
    return findPhrase(hay, words(phrase)) != std::string::npos;
}

/// Sentences of a turn, as written ("Hi." "I need to cancel my appointment!").
std::vector<std::string> sentences(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < text.size(); ++i) {
        cur += text[i];
        bool end = text[i] == '.' || text[i] == '!' || text[i] == '?';
        if (end &&
            (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])))) {
            if (auto t = trim(cur); !t.empty()) out.push_back(t);
            cur.clear();
        }
    }
    if (auto t = trim(cur); !t.empty()) out.push_back(t);
    return out;
}

/// At most `n` words of `s`, with "..." when cut.
std::string clip(const std::string& s, size_t n) {
    size_t count = 0, i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i >= s.size()) break;
        if (++count > n) return trim(s.substr(0, i)) + "...";
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    return s;
}

std::string stripTrailingPunct(std::string s) {
    while (!s.empty() && std::string_view(".,;:!?").find(s.back()) != std::string_view::npos)
        s.pop_back();
    return trim(s);
}

const std::set<std::string>& stopwords() {
    static const std::set<std::string> s = {
        "a",      "about",   "all",       "also",    "am",     "an",    "and",    "any",
        "are",    "as",      "at",        "be",      "been",   "but",   "by",     "can",
        "could",  "did",     "do",        "does",    "for",    "from",  "get",    "got",
        "had",    "has",     "have",      "he",      "her",    "here",  "hi",     "hey",
        "hello",  "him",     "his",       "how",     "i",      "i'd",   "i'll",   "i'm",
        "i've",   "if",      "in",        "is",      "it",     "it's",  "its",    "just",
        "let",    "like",    "me",        "my",      "no",     "not",   "now",    "of",
        "oh",     "ok",      "okay",      "on",      "or",     "our",   "please", "so",
        "some",   "that",    "that's",    "the",     "their",  "them",  "then",   "there",
        "these",  "they",    "this",      "to",      "uh",     "um",    "up",     "us",
        "very",   "was",     "we",        "well",    "were",   "what",  "when",   "where",
        "which",  "who",     "why",       "will",    "with",   "would", "yes",    "yeah",
        "yep",    "you",     "your",      "you're",  "thanks", "thank", "bye",    "goodbye",
        "good",   "morning", "afternoon", "evening", "great",  "sure",  "right",  "alright",
        "really", "want",    "need",      "know",    "think",  "go",    "going",  "there's",
        "one",    "too",     "much",      "more",    "again",  "sorry", "see",    "say",
        "said",   "mean",    "hmm",       "nope",    "nah",    "don't", "can't",  "won't"};
    return s;
}

size_t contentWords(const Words& w) {
    size_t n = 0;
    for (auto& x : w) n += !stopwords().count(x);
    return n;
}

std::string messageText(const json::object& m) {
    if (auto* v = m.if_contains("message"); v && v->is_string())
        return std::string(v->get_string());
    if (auto* v = m.if_contains("content"); v && v->is_string())
        return std::string(v->get_string());
    return "";
}

/// Replaces {{name}} with vars[name]; unknown names render empty (as Liquid does).
std::string render(const std::string& tpl, const std::map<std::string, std::string>& vars) {
    std::string out;
    size_t i = 0;
    while (i < tpl.size()) {
        size_t open = tpl.find("{{", i);
        size_t close = open == std::string::npos ? open : tpl.find("}}", open + 2);
        if (close == std::string::npos) {
            out.append(tpl, i, std::string::npos);
            break;
        }
        out.append(tpl, i, open - i);
        std::string name = trim(tpl.substr(open + 2, close - open - 2));
        name = trim(name.substr(0, name.find('|')));
        if (auto it = vars.find(name); it != vars.end()) out += it->second;
        i = close + 2;
    }
    return out;
}

json::array renderMessages(const json::array& msgs,
                           const std::map<std::string, std::string>& vars) {
    json::array out;
    for (auto& m : msgs) {
        if (!m.is_object()) continue;
        json::object o = m.get_object();
        if (auto* c = o.if_contains("content"); c && c->is_string())
            *c = render(std::string(c->get_string()), vars);
        out.push_back(std::move(o));
    }
    return out;
}

// ---- Conversation ----------------------------------------------------------------------

struct Turn {
    bool user = false;
    std::string text;
};

/// User and bot messages, consecutive ones of the same speaker merged into one turn.
std::vector<Turn> conversation(const json::array& messages) {
    std::vector<Turn> out;
    for (auto& m : messages) {
        if (!m.is_object()) continue;
        std::string role = str(m.get_object(), "role");
        if (role != "user" && role != "bot" && role != "assistant") continue;
        std::string text = trim(messageText(m.get_object()));
        if (text.empty()) continue;
        bool user = role == "user";
        if (!out.empty() && out.back().user == user)
            out.back().text += " " + text;
        else
            out.push_back({user, text});
    }
    return out;
}

size_t countUserBot(const json::array& messages) {
    size_t n = 0;
    for (auto& m : messages) {
        if (!m.is_object()) continue;
        std::string role = str(m.get_object(), "role");
        n += role == "user" || role == "bot";
    }
    return n;
}

std::string transcriptOf(const AnalysisInput& in) {
    if (!in.transcript.empty()) return in.transcript;
    std::string t;
    for (auto& m : in.messages) {
        if (!m.is_object()) continue;
        std::string role = str(m.get_object(), "role");
        if (role == "bot")
            t += "AI: " + messageText(m.get_object()) + "\n";
        else if (role == "user")
            t += "User: " + messageText(m.get_object()) + "\n";
    }
    return t;
}

std::string systemPromptOf(const json::object& assistant) {
    std::string out;
    if (auto* model = obj(assistant, "model"))
        if (auto* msgs = model->if_contains("messages"); msgs && msgs->is_array())
            for (auto& m : msgs->get_array())
                if (m.is_object() && str(m.get_object(), "role") == "system") {
                    if (!out.empty()) out += "\n";
                    out += str(m.get_object(), "content");
                }
    return out;
}

// ---- Plans -----------------------------------------------------------------------------

constexpr double kDefaultTimeoutSeconds = 10;

struct StructuredPlan {
    std::string key;  // structuredDataMulti only
    json::object schema;
    json::array messages;
    std::chrono::milliseconds timeout{};
};

struct Plans {
    double minMessages = 2;
    bool summary = true;
    json::array summaryMessages;
    std::chrono::milliseconds summaryTimeout{};
    std::optional<StructuredPlan> structured;
    std::vector<StructuredPlan> multi;
    bool success = true;
    std::string rubric = "PassFail";
    json::array successMessages;
    std::chrono::milliseconds successTimeout{};
};

std::chrono::milliseconds timeoutOf(const json::object* plan) {
    double s = plan ? json_fields::num(*plan, "timeoutSeconds", kDefaultTimeoutSeconds)
                    : kDefaultTimeoutSeconds;
    s = std::clamp(s, 1.0, 60.0);
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

bool enabledOf(const json::object* plan, bool def) {
    if (!plan) return def;
    auto* v = plan->if_contains("enabled");
    return v && v->is_bool() ? v->get_bool() : def;
}

json::array messagesOf(const json::object* plan) {
    json::array out;
    if (!plan) return out;
    if (auto* v = plan->if_contains("messages"); v && v->is_array())
        for (auto& m : v->get_array())
            if (m.is_object()) out.push_back(m);
    return out;
}

const std::vector<std::string> kRubrics = {"NumericScale",    "DescriptiveScale", "Checklist",
                                           "Matrix",          "PercentageScale",  "LikertScale",
                                           "AutomaticRubric", "PassFail"};

std::optional<StructuredPlan> structuredPlanOf(const json::object* plan, bool enabledByDefault) {
    if (!enabledOf(plan, enabledByDefault)) return std::nullopt;
    auto* schema = plan ? obj(*plan, "schema") : nullptr;
    if (!schema) return std::nullopt;  // nothing to extract to
    StructuredPlan p;
    p.schema = *schema;
    p.messages = messagesOf(plan);
    p.timeout = timeoutOf(plan);
    return p;
}

Plans plansOf(const json::object& assistant) {
    Plans p;
    const json::object* ap = obj(assistant, "analysisPlan");
    if (ap) p.minMessages = json_fields::num(*ap, "minMessagesThreshold", 2);
    const json::object* sp = ap ? obj(*ap, "summaryPlan") : nullptr;
    p.summary = enabledOf(sp, true);
    p.summaryMessages = messagesOf(sp);
    p.summaryTimeout = timeoutOf(sp);
    p.structured = structuredPlanOf(ap ? obj(*ap, "structuredDataPlan") : nullptr, false);
    if (auto* multi = ap ? ap->if_contains("structuredDataMultiPlan") : nullptr;
        multi && multi->is_array()) {
        for (auto& e : multi->get_array()) {
            if (!e.is_object()) continue;
            std::string key = str(e.get_object(), "key");
            // Listing a plan in the catalog asks for it: run it unless it says enabled:false.
            auto plan = structuredPlanOf(obj(e.get_object(), "plan"), true);
            if (key.empty() || !plan) continue;
            plan->key = key;
            p.multi.push_back(std::move(*plan));
        }
    }
    const json::object* ep = ap ? obj(*ap, "successEvaluationPlan") : nullptr;
    p.success = enabledOf(ep, true);
    p.successMessages = messagesOf(ep);
    p.successTimeout = timeoutOf(ep);
    if (ep) {
        std::string r = str(*ep, "rubric");
        if (std::find(kRubrics.begin(), kRubrics.end(), r) != kRubrics.end()) p.rubric = r;
    }
    return p;
}

// ---- Prompts ---------------------------------------------------------------------------

// Vapi's default summary prompt ("Summarize the call in 2-3 sentences...") extended to also
// return the Voxa extras, so that the default plans cost one request fewer.
const char* kSummaryWithInsightsSystem =
    "You are an expert note-taker. You will be given a transcript of a call. Summarize the "
    "call in 2-3 sentences, and classify the caller's overall sentiment and main intent. "
    "Respond with only a JSON object and nothing else: {\"summary\": \"<the 2-3 sentence "
    "summary>\", \"sentiment\": \"positive\" | \"neutral\" | \"negative\", \"intent\": \"<the "
    "caller's main goal in 2-5 words>\"}";
const char* kInsightsSystem =
    "You are an expert call analyst. You will be given a transcript of a call. Classify the "
    "caller's overall sentiment and main intent. Respond with only a JSON object and nothing "
    "else: {\"sentiment\": \"positive\" | \"neutral\" | \"negative\", \"intent\": \"<the "
    "caller's main goal in 2-5 words>\"}";
const char* kTranscriptUser =
    "Here is the transcript:\n\n{{transcript}}\n\n. Here is the ended reason of the call:\n\n"
    "{{endedReason}}\n\n";
const char* kStructuredSystem =
    "You are an expert data extractor. You will be given a transcript of a call. Extract "
    "structured data per the JSON Schema. DO NOT return anything except the structured "
    "data.\n\nJson Schema:\n{{schema}}\n\nOnly respond with the JSON.";
const char* kSuccessSystem =
    "You are an expert call evaluator. You will be given a transcript of a call and the system "
    "prompt of the AI participant. Determine if the call was successful based on the "
    "objectives inferred from the system prompt. DO NOT return anything except the "
    "result.\n\nRubric:\n{{rubric}}\n\nOnly respond with the result.";
const char* kSuccessUser1 = "Here is the transcript:\n\n{{transcript}}\n\n";
const char* kSuccessUser2 =
    "Here was the system prompt of the call:\n\n{{systemPrompt}}\n\n. Here is the ended reason "
    "of the call:\n\n{{endedReason}}\n\n";

std::string rubricDescription(const std::string& r) {
    if (r == "NumericScale")
        return "NumericScale: A scale of 1 to 10. Respond with a single integer from 1 (failed) "
               "to 10 (fully successful).";
    if (r == "DescriptiveScale")
        return "DescriptiveScale: A scale of Excellent, Good, Fair, Poor. Respond with exactly "
               "one of: Excellent, Good, Fair, Poor.";
    if (r == "Checklist")
        return "Checklist: A checklist of criteria and their status. Put each objective on its "
               "own line as \"[x] criterion\" when it was met or \"[ ] criterion\" when not.";
    if (r == "Matrix")
        return "Matrix: A grid that evaluates multiple criteria across different performance "
               "levels. Write one line per criterion as \"criterion: level\", the level being "
               "one of Excellent, Good, Fair, Poor.";
    if (r == "PercentageScale")
        return "PercentageScale: A scale of 0% to 100%. Respond with a single percentage, such "
               "as 75%.";
    if (r == "LikertScale")
        return "LikertScale: A scale of Strongly Agree, Agree, Neutral, Disagree, Strongly "
               "Disagree applied to the statement \"The call achieved its objectives\". "
               "Respond with exactly one of those five options.";
    if (r == "AutomaticRubric")
        return "AutomaticRubric: Automatically break down the evaluation into several criteria, "
               "each with its own score. Write one line per criterion as \"criterion: N/10\" "
               "and end with \"Overall: N/10\".";
    return "PassFail: A simple 'true' if the call passed, 'false' if not. Respond with only "
           "true or false.";
}

json::array defaultMessages(std::initializer_list<std::pair<const char*, const char*>> msgs) {
    json::array out;
    for (auto& [role, content] : msgs)
        out.push_back(json::object{{"role", role}, {"content", content}});
    return out;
}

// ---- Parsing model replies -------------------------------------------------------------

/// The reply without a Markdown code fence around it.
std::string unfence(const std::string& reply) {
    std::string t = trim(reply);
    auto open = t.find("```");
    if (open == std::string::npos) return t;
    auto lineEnd = t.find('\n', open);
    if (lineEnd == std::string::npos) return t;
    auto close = t.find("```", lineEnd);
    return trim(t.substr(lineEnd + 1,
                         close == std::string::npos ? std::string::npos : close - lineEnd - 1));
}

/// The reply as JSON: all of it, else its first {...} or [...] span.
std::optional<json::value> extractJson(const std::string& reply) {
    std::string t = unfence(reply);
    boost::system::error_code ec;
    auto v = json::parse(t, ec);
    if (!ec) return v;
    for (char openCh : {'{', '['}) {
        char closeCh = openCh == '{' ? '}' : ']';
        auto b = t.find(openCh);
        auto e = t.rfind(closeCh);
        if (b == std::string::npos || e == std::string::npos || e <= b) continue;
        ec = {};
        auto inner = json::parse(std::string_view(t).substr(b, e - b + 1), ec);
        if (!ec) return inner;
    }
    return std::nullopt;
}

/// The schema's top-level type ("" when it has none); the first non-null of a type list.
std::string schemaType(const json::object& schema) {
    auto* t = schema.if_contains("type");
    if (t && t->is_string()) return std::string(t->get_string());
    if (t && t->is_array())
        for (auto& e : t->get_array())
            if (e.is_string() && e.get_string() != "null") return std::string(e.get_string());
    if (schema.contains("properties")) return "object";
    if (schema.contains("items")) return "array";
    return "";
}

/// The structured-data reply, if it is JSON of the schema's top-level type.
std::optional<json::value> parseStructured(const std::string& reply, const json::object& schema) {
    std::string type = schemaType(schema);
    auto v = extractJson(reply);
    if (type == "string") {  // any text is a string; a JSON string is unquoted
        if (v && v->is_string()) return v;
        std::string t = unfence(reply);
        if (t.empty()) return std::nullopt;
        return json::value(t);
    }
    if (!v) return std::nullopt;
    if (type.empty()) return v;
    if (type == "object" && v->is_object()) return v;
    if (type == "array" && v->is_array()) return v;
    if (type == "boolean" && v->is_bool()) return v;
    if (type == "number" && v->is_number()) return v;
    if (type == "integer" && v->is_number()) {
        double d = v->to_number<double>();
        if (std::floor(d) == d) return json::value(static_cast<int64_t>(d));
    }
    return std::nullopt;
}

std::optional<double> firstNumber(const std::string& text) {
    static const std::regex re(R"(-?\d+(?:\.\d+)?)");
    std::smatch m;
    if (!std::regex_search(text, m, re)) return std::nullopt;
    return std::stod(m.str());
}

/// The evaluation in its rubric's canonical form when it fits, else as written.
std::string normalizeEvaluation(const std::string& rubric, const std::string& reply) {
    std::string t = trim(unfence(reply));
    while (!t.empty() && (t.front() == '"' || t.front() == '\'' || t.front() == '`')) t.erase(0, 1);
    while (!t.empty() &&
           (t.back() == '"' || t.back() == '\'' || t.back() == '`' || t.back() == '.'))
        t.pop_back();
    t = trim(t);
    auto w = words(t);
    if (rubric == "PassFail") {
        static const std::set<std::string> yes = {"true", "pass",    "passed",
                                                  "yes",  "success", "successful"};
        static const std::set<std::string> no = {"false", "fail",         "failed",
                                                 "no",    "unsuccessful", "not"};
        if (!w.empty() && yes.count(w[0])) return "true";
        if (!w.empty() && no.count(w[0])) return "false";
        // "The call passed." / "It did not pass.": the first verdict word decides.
        static const std::set<std::string> pass = {"true", "pass", "passed", "success",
                                                   "successful"};
        static const std::set<std::string> fail = {"false", "fail", "failed", "unsuccessful",
                                                   "not"};
        for (auto& x : w) {
            if (pass.count(x)) return "true";
            if (fail.count(x)) return "false";
        }
    } else if (rubric == "NumericScale") {
        if (auto n = firstNumber(t); n && *n >= 1 && *n <= 10)
            return std::to_string(static_cast<int>(std::lround(*n)));
    } else if (rubric == "PercentageScale") {
        if (auto n = firstNumber(t); n && *n >= 0 && *n <= 100)
            return std::to_string(static_cast<int>(std::lround(*n))) + "%";
    } else if (rubric == "DescriptiveScale") {
        for (auto& x : w)
            for (const char* level : {"excellent", "good", "fair", "poor"})
                if (x == level) {
                    std::string s = level;
                    s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
                    return s;
                }
    } else if (rubric == "LikertScale") {
        for (const char* level :
             {"strongly agree", "strongly disagree", "disagree", "agree", "neutral"})
            if (hasPhrase(w, level)) {
                std::string s = level;
                s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
                if (auto sp = s.find(' '); sp != std::string::npos)
                    s[sp + 1] = char(std::toupper(static_cast<unsigned char>(s[sp + 1])));
                return s;
            }
    }
    return t;
}

std::optional<std::string> normalizeSentiment(const json::value* v) {
    if (!v || !v->is_string()) return std::nullopt;
    auto w = words(std::string(v->get_string()));
    if (w.empty()) return std::nullopt;
    if (w[0] == "positive" || w[0] == "negative" || w[0] == "neutral") return w[0];
    if (w[0] == "mixed") return std::string("neutral");
    return std::nullopt;
}

std::optional<std::string> normalizeIntent(const json::value* v) {
    if (!v || !v->is_string()) return std::nullopt;
    std::string s = stripTrailingPunct(trim(std::string(v->get_string())));
    if (s.empty()) return std::nullopt;
    if (s.size() > 80) s = clip(s, 8);
    return s;
}

/// Sentiment and intent from a JSON reply, into `out`.
void readInsights(const json::object& o, json::object& out) {
    if (auto s = normalizeSentiment(o.if_contains("sentiment"))) out["sentiment"] = *s;
    if (auto i = normalizeIntent(o.if_contains("intent"))) out["intent"] = *i;
}

// ---- Local heuristic analyzer ----------------------------------------------------------

const std::set<std::string> kPositive = {
    "thanks",   "thank", "great",     "good",       "perfect",     "awesome", "excellent",
    "happy",    "love",  "wonderful", "appreciate", "appreciated", "helpful", "nice",
    "amazing",  "glad",  "fantastic", "pleased",    "brilliant",   "lovely",  "satisfied",
    "resolved", "easy",  "cool",      "best",       "works"};
const std::set<std::string> kNegative = {
    "bad",           "terrible",  "awful",     "angry",      "upset",    "frustrated",
    "frustrating",   "annoyed",   "annoying",  "problem",    "problems", "issue",
    "issues",        "broken",    "wrong",     "worst",      "hate",     "disappointed",
    "disappointing", "complaint", "useless",   "ridiculous", "horrible", "poor",
    "unhappy",       "waste",     "wasted",    "rude",       "slow",     "late",
    "error",         "failed",    "confusing", "confused",   "sucks",    "unacceptable",
    "mad",           "furious"};
const std::set<std::string> kNegators = {"not",    "no",     "never",  "don't",   "doesn't",
                                         "didn't", "isn't",  "wasn't", "aren't",  "won't",
                                         "can't",  "cannot", "hardly", "without", "nothing"};

int sentimentScore(const Words& w) {
    int score = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        int s = kPositive.count(w[i]) ? 1 : kNegative.count(w[i]) ? -1 : 0;
        if (s == 0) continue;
        bool negated =
            (i >= 1 && kNegators.count(w[i - 1])) || (i >= 2 && kNegators.count(w[i - 2]));
        score += negated ? -s : s;  // "not happy" < 0, "no problem" > 0
    }
    return score;
}

std::string sentimentOf(const std::vector<Turn>& turns) {
    int score = 0;
    for (auto& t : turns)
        if (t.user) score += sentimentScore(words(t.text));
    return score >= 1 ? "positive" : score <= -1 ? "negative" : "neutral";
}

struct IntentRule {
    const char* label;
    std::vector<const char*> phrases;
};

const std::vector<IntentRule>& intentRules() {
    // Order breaks ties: the more specific reading first ("cancel my appointment").
    static const std::vector<IntentRule> r = {
        {"cancellation",
         {"cancel", "cancellation", "cancelled", "canceled", "unsubscribe", "terminate",
          "close my account"}},
        {"rescheduling",
         {"reschedule", "move my appointment", "change my appointment", "different time",
          "another time", "change the time"}},
        {"refund request", {"refund", "money back", "reimburse", "reimbursement"}},
        {"appointment booking",
         {"book", "booking", "appointment", "schedule", "reservation", "reserve", "table for"}},
        {"billing question",
         {"bill", "billing", "invoice", "charge", "charged", "payment", "pay", "fee",
          "overcharged"}},
        {"order status",
         {"order", "delivery", "shipping", "shipped", "package", "tracking", "arrive", "parcel"}},
        {"technical support",
         {"not working", "doesn't work", "broken", "error", "bug", "crash", "crashes", "fix",
          "outage", "reset"}},
        {"account access", {"password", "login", "log in", "sign in", "locked out", "account"}},
        {"complaint", {"complaint", "complain", "unacceptable", "manager", "supervisor"}},
        {"speak to a human",
         {"human", "real person", "agent", "representative", "operator", "transfer me"}},
        {"purchase inquiry",
         {"buy", "purchase", "quote", "pricing", "price", "cost", "interested in", "demo",
          "sign up", "subscribe"}},
        {"information request",
         {"hours", "open", "opening", "address", "location", "directions", "information",
          "how much", "how do", "what is", "when do"}},
    };
    return r;
}

std::string intentOf(const std::vector<Turn>& turns) {
    Words all;
    for (auto& t : turns)
        if (t.user) {
            auto w = words(t.text);
            all.insert(all.end(), w.begin(), w.end());
            all.push_back("\x01");  // no phrase spans two turns
        }
    const IntentRule* best = nullptr;
    size_t bestScore = 0;
    for (auto& rule : intentRules()) {
        size_t score = 0;
        for (auto* p : rule.phrases) {
            Words pw = words(p);
            for (size_t at = findPhrase(all, pw); at != std::string::npos;
                 at = findPhrase(all, pw, at))
                ++score;
        }
        if (score > bestScore) best = &rule, bestScore = score;
    }
    return best ? best->label : "general inquiry";
}

const std::vector<const char*> kNonAnswers = {
    "didn't catch",          "did not catch", "don't understand", "do not understand",
    "not sure i understand", "can't help",    "cannot help",      "unable to help",
    "say it again",          "repeat that",   "could you repeat"};

bool isNonAnswer(const std::string& botText) {
    auto w = words(botText);
    // The scripted model's default fallback echoes the caller: "You said: ...".
    if (w.size() >= 2 && w[0] == "you" && w[1] == "said") return true;
    return std::any_of(kNonAnswers.begin(), kNonAnswers.end(),
                       [&](auto* p) { return hasPhrase(w, p); });
}

enum class Ending { Ok, Soft, Failed };

Ending endingOf(const std::string& reason) {
    static const std::set<std::string> failed = {"customer-did-not-answer",
                                                 "customer-busy",
                                                 "voicemail",
                                                 "assistant-not-found",
                                                 "assistant-not-valid",
                                                 "assistant-not-provided",
                                                 "customer-did-not-give-microphone-permission"};
    static const std::set<std::string> soft = {"silence-timed-out", "exceeded-max-duration"};
    if (failed.count(reason) || reason.find("error") != std::string::npos ||
        reason.find("failed") != std::string::npos || reason.find("fault") != std::string::npos)
        return Ending::Failed;
    return soft.count(reason) ? Ending::Soft : Ending::Ok;
}

struct Evaluation {
    size_t asked = 0, answered = 0;  // substantive caller turns, and those answered
    bool lastAnswered = false;
    Ending ending = Ending::Ok;
    std::string sentiment;
    // Components (0-1) and their weighted sum.
    double answerRatio = 0, endScore = 0, sentScore = 0;
    double score = 0;
};

Evaluation evaluate(const std::vector<Turn>& turns, const std::string& reason) {
    Evaluation e;
    bool anyBotAfterUser = false, sawUser = false;
    for (size_t i = 0; i < turns.size(); ++i) {
        if (!turns[i].user) {
            anyBotAfterUser |= sawUser;
            continue;
        }
        sawUser = true;
        if (contentWords(words(turns[i].text)) == 0) continue;  // "hello", "thanks, bye"
        ++e.asked;
        bool ok = i + 1 < turns.size() && !turns[i + 1].user && !isNonAnswer(turns[i + 1].text);
        e.answered += ok;
        e.lastAnswered = ok;
    }
    // No request worth the name ("hello?"): answered if the assistant said anything after it.
    if (e.asked == 0) e.lastAnswered = anyBotAfterUser;
    e.answerRatio = e.asked ? double(e.answered) / double(e.asked) : anyBotAfterUser ? 1 : 0;
    e.ending = endingOf(reason);
    e.sentiment = sentimentOf(turns);
    e.endScore = e.ending == Ending::Ok ? 1 : e.ending == Ending::Soft ? 0.5 : 0;
    e.sentScore = e.sentiment == "positive" ? 1 : e.sentiment == "neutral" ? 0.5 : 0;
    e.score = 0.5 * e.answerRatio + 0.3 * e.endScore + 0.2 * e.sentScore;
    return e;
}

std::string level4(double s) {
    return s >= 0.85 ? "Excellent" : s >= 0.65 ? "Good" : s >= 0.4 ? "Fair" : "Poor";
}

std::string localEvaluation(const std::string& rubric, const Evaluation& e,
                            const std::string& reason) {
    auto tenth = [](double s) { return std::to_string(static_cast<int>(std::lround(s * 10))); };
    std::string answeredText = std::to_string(e.answered) + "/" + std::to_string(e.asked);
    if (rubric == "NumericScale")
        return std::to_string(static_cast<int>(std::lround(1 + 9 * e.score)));
    if (rubric == "PercentageScale")
        return std::to_string(static_cast<int>(std::lround(100 * e.score))) + "%";
    if (rubric == "DescriptiveScale") return level4(e.score);
    if (rubric == "LikertScale")
        return e.score >= 0.85   ? "Strongly Agree"
               : e.score >= 0.65 ? "Agree"
               : e.score >= 0.45 ? "Neutral"
               : e.score >= 0.25 ? "Disagree"
                                 : "Strongly Disagree";
    if (rubric == "Checklist")
        return std::string(e.answerRatio >= 1 ? "[x]" : "[ ]") +
               " The assistant answered every caller request (" + answeredText + ")\n" +
               (e.ending == Ending::Ok ? "[x]" : "[ ]") + " The call ended normally (" + reason +
               ")\n" + (e.sentiment == "negative" ? "[ ]" : "[x]") +
               " The caller was not dissatisfied (" + e.sentiment + ")";
    if (rubric == "Matrix")
        return "Responsiveness: " + level4(e.answerRatio) +
               "\nCall completion: " + level4(e.endScore) +
               "\nCaller sentiment: " + level4(e.sentScore);
    if (rubric == "AutomaticRubric")
        return "Responsiveness: " + tenth(e.answerRatio) +
               "/10\nCall completion: " + tenth(e.endScore) +
               "/10\nCaller sentiment: " + tenth(e.sentScore) + "/10\nOverall: " + tenth(e.score) +
               "/10";
    bool pass = e.ending != Ending::Failed && e.lastAnswered && e.score >= 0.6;
    return pass ? "true" : "false";
}

/// "\"I need a refund.\"": at most 30 words, closed by the sentence's own punctuation.
std::string quote(const std::string& sentence) {
    std::string s = clip(sentence, 30);
    if (s.empty() || std::string_view(".!?").find(s.back()) == std::string_view::npos) s += ".";
    return "\"" + s + "\"";
}

std::string localSummary(const std::vector<Turn>& turns, const std::string& reason) {
    struct Candidate {
        size_t turn, order;
        size_t score;
        std::string text;
    };
    std::vector<Candidate> cands;
    size_t userTurns = 0, botTurns = 0, order = 0;
    for (size_t i = 0; i < turns.size(); ++i) {
        (turns[i].user ? userTurns : botTurns)++;
        if (!turns[i].user) continue;
        for (auto& s : sentences(turns[i].text))
            cands.push_back({i, order++, contentWords(words(s)), s});
    }
    std::vector<Candidate> best;
    for (auto& c : cands)
        if (c.score > 0) best.push_back(c);
    std::stable_sort(best.begin(), best.end(), [](auto& a, auto& b) { return a.score > b.score; });
    if (best.size() > 2) best.resize(2);
    std::string out;
    if (best.empty()) {
        out = userTurns ? "The caller did not state a request." : "The caller did not speak.";
    } else {
        size_t replyTo = best[0].turn;
        std::sort(best.begin(), best.end(), [](auto& a, auto& b) { return a.order < b.order; });
        out = "The caller said: " + quote(best[0].text);
        if (best.size() > 1) out += " and " + quote(best[1].text);
        // The assistant's answer to the caller's most informative sentence.
        std::string reply;
        if (replyTo + 1 < turns.size() && !turns[replyTo + 1].user) {
            auto ss = sentences(turns[replyTo + 1].text);
            size_t bestScore = 0;
            for (auto& s : ss) {
                size_t sc = contentWords(words(s));
                if (reply.empty() || sc > bestScore) reply = s, bestScore = sc;
            }
        }
        if (!reply.empty())
            out += " The assistant replied: " + quote(reply);
        else
            out += " The assistant did not answer it.";
    }
    out += " The call ended with " + (reason.empty() ? std::string("no reason") : reason) +
           " after " + std::to_string(userTurns) + " caller turn" + (userTurns == 1 ? "" : "s") +
           " and " + std::to_string(botTurns) + " assistant turn" + (botTurns == 1 ? "" : "s") +
           ".";
    return out;
}

// -- structured data --

/// "customerPhoneNumber" -> {"phone", "number"}: name words minus generic ones.
Words keyWords(const std::string& name) {
    std::string spaced;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
            std::islower(static_cast<unsigned char>(name[i - 1])))
            spaced += ' ';
        spaced += c;
    }
    static const std::set<std::string> generic = {
        "is",    "has",  "had",   "did",       "does",      "was",    "the",  "a",
        "an",    "of",   "to",    "for",       "customer",  "caller", "user", "client",
        "wants", "want", "needs", "requested", "preferred", "value"};
    Words all = words(spaced), out;
    for (auto& w : all)
        if (!generic.count(w)) out.push_back(w);
    return out.empty() ? all : out;
}

struct Evidence {
    std::string text;    // what the caller said after the property's words
    bool answer;         // text is the whole reply to an assistant question that named it
    std::string before;  // the caller's words before the property's words (mentions only)
};

/// Where the property's words occur: the rest of the caller's sentence after them, or the
/// caller's reply to an assistant turn that used them. Oldest first.
std::vector<Evidence> evidenceFor(const std::vector<Turn>& turns, const Words& keys) {
    std::vector<Evidence> out;
    if (keys.empty()) return out;
    std::string pattern = "\\b";
    for (size_t i = 0; i < keys.size(); ++i) pattern += (i ? "\\W+" : "") + keys[i];
    pattern += "\\b";
    std::regex full(pattern, std::regex::icase),
        head("\\b" + keys.back() + "\\b", std::regex::icase);
    for (size_t i = 0; i < turns.size(); ++i) {
        if (!turns[i].user) continue;
        bool found = false;
        for (auto& s : sentences(turns[i].text)) {
            std::smatch m;
            if (std::regex_search(s, m, full) || std::regex_search(s, m, head)) {
                out.push_back({m.suffix().str(), false, m.prefix().str()});
                found = true;
            }
        }
        if (!found && i > 0 && !turns[i - 1].user) {
            // An assistant question names the property with any of its words ("How many
            // people are in your party?" -> partySize).
            auto bw = words(turns[i - 1].text);
            if (std::any_of(keys.begin(), keys.end(),
                            [&](auto& k) { return findPhrase(bw, Words{k}) != std::string::npos; }))
                out.push_back({turns[i].text, true, ""});
        }
    }
    return out;
}

/// "is 12345." -> "12345"; "um, it's the blue one" -> "the blue one".
std::string valueText(std::string s, size_t maxWords) {
    static const std::regex lead(
        R"(^\s*(?:[,:=-]\s*|(?:um|uh|so|well|yes|yeah|okay|ok|sure|it's|it is|that's|that is)"
        R"(|is|are|was|were|will be|would be|should be|of)\b[\s,]*)+)",
        std::regex::icase);
    s = std::regex_replace(s, lead, "", std::regex_constants::format_first_only);
    auto ss = sentences(s);
    return ss.empty() ? "" : stripTrailingPunct(clip(ss[0], maxWords));
}

std::optional<std::string> findEnum(const std::vector<std::string>& texts,
                                    const json::array& values) {
    for (auto it = texts.rbegin(); it != texts.rend(); ++it) {  // latest mention wins
        auto w = words(*it);
        size_t bestAt = std::string::npos;
        std::optional<std::string> found;
        for (auto& v : values) {
            if (!v.is_string()) continue;
            Words vw = words(std::string(v.get_string()));
            auto at = findPhrase(w, vw);
            if (at != std::string::npos && (bestAt == std::string::npos || at > bestAt))
                bestAt = at, found = std::string(v.get_string());
        }
        if (found) return found;
    }
    return std::nullopt;
}

std::optional<double> numberIn(const std::string& text) {
    if (auto n = firstNumber(text)) return n;
    static const std::map<std::string, int> units = {
        {"zero", 0},     {"one", 1},      {"two", 2},        {"three", 3},     {"four", 4},
        {"five", 5},     {"six", 6},      {"seven", 7},      {"eight", 8},     {"nine", 9},
        {"ten", 10},     {"eleven", 11},  {"twelve", 12},    {"thirteen", 13}, {"fourteen", 14},
        {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
        {"twenty", 20},  {"thirty", 30},  {"forty", 40},     {"fifty", 50},    {"sixty", 60},
        {"seventy", 70}, {"eighty", 80},  {"ninety", 90}};
    double total = 0, cur = 0;
    bool started = false;
    for (auto& w : words(text)) {
        if (auto it = units.find(w); it != units.end()) {
            cur += it->second;
            started = true;
        } else if (w == "hundred" && started) {
            cur = (cur == 0 ? 1 : cur) * 100;
        } else if (w == "thousand" && started) {
            total += (cur == 0 ? 1 : cur) * 1000;
            cur = 0;
        } else if (started && w != "and") {
            break;
        }
    }
    if (!started) return std::nullopt;
    return total + cur;
}

/// The number that ends `text` ("... for twenty five" -> 25, "about 3" -> 3).
std::optional<double> numberBefore(const std::string& text) {
    static const std::set<std::string> numberWords = {
        "zero",     "one",      "two",     "three",     "four",     "five",     "six",
        "seven",    "eight",    "nine",    "ten",       "eleven",   "twelve",   "thirteen",
        "fourteen", "fifteen",  "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
        "thirty",   "forty",    "fifty",   "sixty",     "seventy",  "eighty",   "ninety",
        "hundred",  "thousand", "and"};
    std::string t = trim(text);
    static const std::regex digitsAtEnd(R"((\d+(?:\.\d+)?)\s*$)");
    std::smatch m;
    if (std::regex_search(t, m, digitsAtEnd)) return std::stod(m[1].str());
    auto w = words(t);
    size_t b = w.size();
    while (b > 0 && numberWords.count(w[b - 1])) --b;
    std::string tail;
    for (size_t i = b; i < w.size(); ++i) tail += w[i] + " ";
    return tail.empty() ? std::nullopt : numberIn(tail);
}

std::optional<bool> yesNo(const std::string& answer) {
    auto w = words(answer);
    static const std::set<std::string> yes = {"yes",       "yeah",    "yep",        "yup",
                                              "sure",      "correct", "absolutely", "definitely",
                                              "certainly", "right",   "ok",         "okay"};
    static const std::set<std::string> no = {"no",  "nope",  "nah",     "never",
                                             "not", "don't", "negative"};
    for (size_t i = 0; i < w.size() && i < 3; ++i) {
        if (no.count(w[i])) return false;
        if (yes.count(w[i])) return true;
        if (w[i] != "um" && w[i] != "uh" && w[i] != "well" && w[i] != "oh") break;
    }
    return std::nullopt;
}

std::optional<std::string> regexIn(const std::vector<std::string>& texts, const std::regex& re) {
    for (auto it = texts.rbegin(); it != texts.rend(); ++it) {
        std::smatch m;
        if (std::regex_search(*it, m, re)) return trim(m.str());
    }
    return std::nullopt;
}

std::string capitalizeWords(const std::string& s) {
    std::string out = s;
    bool start = true;
    for (auto& c : out) {
        if (start && std::isalpha(static_cast<unsigned char>(c)))
            c = char(std::toupper(static_cast<unsigned char>(c)));
        start = std::isspace(static_cast<unsigned char>(c)) || c == '-';
    }
    return out;
}

/// A person's name: "my name is ada lovelace" -> "Ada Lovelace".
std::optional<std::string> nameIn(const std::vector<std::string>& userTexts,
                                  const std::vector<Evidence>& ev) {
    static const std::regex intro(
        R"((?:my name is|my name's|name is|call me|this is|i am|i'm)\s+)"
        R"(([A-Za-z][A-Za-z'-]*(?:\s+[A-Za-z][A-Za-z'-]*)?))",
        std::regex::icase);
    auto clean = [](const std::string& raw) -> std::optional<std::string> {
        Words w = words(raw), kept;
        for (auto& x : w) {
            if (stopwords().count(x) || x.ends_with("ing") || kept.size() == 2) break;
            kept.push_back(x);
        }
        if (kept.empty()) return std::nullopt;
        std::string s;
        for (auto& x : kept) s += (s.empty() ? "" : " ") + x;
        return capitalizeWords(s);
    };
    for (auto it = userTexts.rbegin(); it != userTexts.rend(); ++it) {
        std::smatch m;
        if (std::regex_search(*it, m, intro))
            if (auto n = clean(m[1].str())) return n;
    }
    for (auto it = ev.rbegin(); it != ev.rend(); ++it)
        if (it->answer)
            if (auto n = clean(valueText(it->text, 4))) return n;
    return std::nullopt;
}

std::optional<json::value> extractValue(const std::string& name, const json::object& schema,
                                        const std::vector<Turn>& turns, int depth);

/// The object's properties that have evidence in the caller's words.
json::object extractObject(const json::object& schema, const std::vector<Turn>& turns, int depth) {
    json::object out;
    auto* props = obj(schema, "properties");
    if (!props || depth > 4) return out;
    for (auto& [name, ps] : *props) {
        if (!ps.is_object()) continue;
        if (auto v = extractValue(std::string(name), ps.get_object(), turns, depth + 1))
            out[name] = std::move(*v);
    }
    return out;
}

std::optional<json::value> extractValue(const std::string& name, const json::object& schema,
                                        const std::vector<Turn>& turns, int depth) {
    std::string type = schemaType(schema);
    Words keys = keyWords(name);
    auto ev = evidenceFor(turns, keys);
    std::vector<std::string> evTexts, userTexts;
    for (auto& e : ev) evTexts.push_back(e.text);
    for (auto& t : turns)
        if (t.user) userTexts.push_back(t.text);
    std::string lname = lower(name), format = str(schema, "format");
    auto has = [&](const char* k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };

    if (auto* en = schema.if_contains("enum"); en && en->is_array()) {
        if (auto v = findEnum(evTexts, en->get_array())) return json::value(*v);
        if (auto v = findEnum(userTexts, en->get_array())) return json::value(*v);
        return std::nullopt;
    }
    if (type == "object") {
        auto o = extractObject(schema, turns, depth);
        if (o.empty()) return std::nullopt;
        return json::value(std::move(o));
    }
    if (type == "array") {
        auto* items = obj(schema, "items");
        json::array out;
        if (auto* en = items ? items->if_contains("enum") : nullptr; en && en->is_array()) {
            for (auto& v : en->get_array()) {
                if (!v.is_string()) continue;
                for (auto& t : userTexts)
                    if (findPhrase(words(t), words(std::string(v.get_string()))) !=
                        std::string::npos) {
                        out.push_back(v);
                        break;
                    }
            }
        } else if (!ev.empty() && (!items || schemaType(*items) == "string")) {
            static const std::regex sep(R"(\s*(?:,|\band\b|\bor\b)\s*)", std::regex::icase);
            std::string t = valueText(ev.back().text, 20);
            for (std::sregex_token_iterator it(t.begin(), t.end(), sep, -1), end;
                 it != end && out.size() < 10; ++it)
                if (auto item = trim(it->str()); !item.empty()) out.push_back(json::value(item));
        }
        if (out.empty()) return std::nullopt;
        return json::value(std::move(out));
    }
    if (type == "boolean") {
        for (auto it = ev.rbegin(); it != ev.rend(); ++it) {
            if (it->answer) {
                if (auto b = yesNo(it->text)) return json::value(*b);
                continue;
            }
            // A mention ("I'd like a callback"): false when a negator shortly precedes it
            // ("I don't need a callback").
            auto w = words(it->before);
            bool negated = false;
            for (size_t k = w.size() >= 3 ? w.size() - 3 : 0; k < w.size(); ++k)
                negated |= kNegators.count(w[k]) > 0;
            return json::value(!negated);
        }
        return std::nullopt;
    }
    if (type == "number" || type == "integer") {
        for (auto it = ev.rbegin(); it != ev.rend(); ++it) {
            // "twenty five nights" (number first) or "nights: 25" / an answer "Four."
            auto n = it->answer ? numberIn(it->text) : numberBefore(it->before);
            if (!n && !it->answer) n = numberIn(valueText(it->text, 12));
            if (!n) continue;
            double v = *n;
            if (auto* mn = schema.if_contains("minimum");
                mn && mn->is_number() && v < mn->to_number<double>())
                continue;
            if (auto* mx = schema.if_contains("maximum");
                mx && mx->is_number() && v > mx->to_number<double>())
                continue;
            if (type == "integer") return json::value(static_cast<int64_t>(std::llround(v)));
            return json::value(v);
        }
        return std::nullopt;
    }
    if (type != "string" && !type.empty()) return std::nullopt;

    // Strings: recognisable shapes first, then the caller's own words.
    if (format == "email" || has("email") || has("mail")) {
        static const std::regex email(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
        if (auto v = regexIn(userTexts, email)) return json::value(lower(*v));
        std::vector<std::string> spoken;  // "ada at example dot com"
        for (auto& t : userTexts) {
            static const std::regex at(R"(\s+at\s+)", std::regex::icase),
                dot(R"(\s+dot\s+)", std::regex::icase);
            spoken.push_back(std::regex_replace(std::regex_replace(t, at, "@"), dot, "."));
        }
        if (auto v = regexIn(spoken, email)) return json::value(lower(*v));
        return std::nullopt;
    }
    if (has("phone") || format == "phone") {
        static const std::regex phone(R"(\+?\d[\d\s().-]{5,}\d)");
        if (auto v = regexIn(userTexts, phone)) {
            std::string digits;
            for (char c : *v)
                if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && digits.empty()))
                    digits += c;
            if (digits.size() >= 7) return json::value(digits);
        }
        return std::nullopt;
    }
    if (has("date") || has("day") || format == "date" || format == "date-time") {
        static const std::regex date(
            R"(\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
            R"(|(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
            R"(|today|tomorrow|tonight)"
            R"(|(?:january|february|march|april|may|june|july|august|september|october|november)"
            R"(|december)(?:\s+\d{1,2}(?:st|nd|rd|th)?)?)\b)",
            std::regex::icase);
        if (auto v = regexIn(evTexts, date)) return json::value(*v);
        if (auto v = regexIn(userTexts, date)) return json::value(*v);
        return std::nullopt;
    }
    if (has("time") || format == "time") {
        static const std::regex time(
            R"(\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock))"
            R"(|\bnoon\b|\bmidnight\b|\b\d{1,2}:\d{2}\b)",
            std::regex::icase);
        if (auto v = regexIn(evTexts, time)) return json::value(*v);
        if (auto v = regexIn(userTexts, time)) return json::value(*v);
        return std::nullopt;
    }
    if (has("name")) {
        if (auto n = nameIn(userTexts, ev)) return json::value(*n);
        return std::nullopt;
    }
    for (auto it = ev.rbegin(); it != ev.rend(); ++it) {
        std::string v = valueText(it->text, it->answer ? 20 : 12);
        if (!v.empty()) return json::value(v);
    }
    return std::nullopt;
}

/// Structured data for `schema`, shaped by its top-level type.
std::optional<json::value> localStructured(const json::object& schema,
                                           const std::vector<Turn>& turns,
                                           const std::string& summary, const Evaluation& e) {
    std::string type = schemaType(schema);
    if (type == "object") return json::value(extractObject(schema, turns, 0));
    if (type == "string") return json::value(summary);
    if (type == "boolean") return json::value(localEvaluation("PassFail", e, "") == "true");
    if (type == "number" || type == "integer")
        return json::value(static_cast<int64_t>(std::lround(1 + 9 * e.score)));
    if (type == "array") return extractValue(str(schema, "title", "items"), schema, turns, 0);
    return std::nullopt;
}

// ---- LLM jobs --------------------------------------------------------------------------

enum class JobKind { Summary, Insights, Structured, StructuredMulti, Success };

struct Job {
    Job(JobKind k, std::chrono::milliseconds t) : kind(k), timeout(t) {}
    JobKind kind;
    std::chrono::milliseconds timeout;
    json::array messages;
    const StructuredPlan* structured = nullptr;
    bool withInsights = false;  // the summary request also asks for sentiment and intent

    enum class State { Running, Done, Failed, TimedOut };
    State state = State::Running;
    std::unique_ptr<providers::LlmSession> session;
    std::shared_ptr<providers::LlmTurn> turn;
    std::string text;
    Clock::time_point deadline;
};

const char* jobName(JobKind k) {
    switch (k) {
        case JobKind::Summary:
            return "summary";
        case JobKind::Insights:
            return "sentiment/intent";
        case JobKind::Structured:
            return "structuredData";
        case JobKind::StructuredMulti:
            return "structuredDataMulti";
        case JobKind::Success:
            return "successEvaluation";
    }
    return "?";
}

struct Batch {
    explicit Batch(asio::any_io_executor ex) : wake(std::move(ex)) {}
    std::vector<Job> jobs;
    asio::steady_timer wake;  // cancelled whenever a job ends
    size_t running = 0;
    std::string callId;
};

void endJob(Batch& b, size_t i, Job::State s) {
    auto& j = b.jobs[i];
    if (j.state != Job::State::Running) return;
    j.state = s;
    --b.running;
    b.wake.cancel();
}

/// Starts every job, then waits until each has finished or passed its deadline.
asio::awaitable<void> runJobs(std::shared_ptr<Batch> b, json::object modelConfig, providers::Context ctx) {
    auto start = Clock::now();
    for (size_t i = 0; i < b->jobs.size(); ++i) {
        auto& j = b->jobs[i];
        j.deadline = start + j.timeout;
        json::object cfg = modelConfig;
        cfg["timeoutSeconds"] = double(j.timeout.count()) / 1000.0;  // the socket gives up too
        std::weak_ptr<Batch> weak = b;
        providers::LlmCallbacks cb;
        cb.onText = [weak, i](const std::string& delta) {
            if (auto s = weak.lock(); s && s->jobs[i].state == Job::State::Running)
                s->jobs[i].text += delta;
        };
        cb.onDone = [weak, i](const providers::Usage&) {
            if (auto s = weak.lock()) endJob(*s, i, Job::State::Done);
        };
        cb.onError = [weak, i](const providers::ProviderError& e) {
            auto s = weak.lock();
            if (!s || s->jobs[i].state != Job::State::Running) return;
            spdlog::warn("call {}: analysis {} failed: {}", s->callId, jobName(s->jobs[i].kind), e.message);
            endJob(*s, i, Job::State::Failed);
        };
        ++b->running;
        try {
            // The assistant's model and its fallbackModels, as the call's replies use them.
            j.session = std::make_unique<providers::FallbackLlm>(providers::llmChain(cfg), ctx,
                                                                 providers::FallbackLlm::Options{});
            providers::LlmRequest req;
            req.messages = j.messages;
            j.turn = j.session->complete(std::move(req), std::move(cb));
        } catch (const std::exception& e) {
            spdlog::warn("call {}: analysis {} failed: {}", b->callId, jobName(j.kind), e.what());
            endJob(*b, i, Job::State::Failed);
        }
    }
    while (b->running > 0) {
        auto now = Clock::now();
        auto next = Clock::time_point::max();
        for (size_t i = 0; i < b->jobs.size(); ++i) {
            auto& j = b->jobs[i];
            if (j.state != Job::State::Running) continue;
            if (j.deadline <= now) {
                spdlog::warn("call {}: analysis {} timed out after {} ms", b->callId,
                             jobName(j.kind), j.timeout.count());
                if (j.turn) j.turn->cancel();
                endJob(*b, i, Job::State::TimedOut);
            } else {
                next = std::min(next, j.deadline);
            }
        }
        if (b->running == 0) break;
        b->wake.expires_at(next);
        boost::system::error_code ec;
        co_await b->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    for (auto& j : b->jobs)
        if (j.turn) j.turn->cancel();
}

json::object collect(const Batch& b, const Plans& plans) {
    json::object out;
    json::array multi;
    for (auto& j : b.jobs) {
        if (j.state != Job::State::Done) continue;
        std::string text = trim(j.text);
        if (text.empty()) {
            spdlog::warn("call {}: analysis {}: empty reply", b.callId, jobName(j.kind));
            continue;
        }
        switch (j.kind) {
            case JobKind::Summary: {
                auto v = j.withInsights ? extractJson(text) : std::nullopt;
                if (v && v->is_object() && v->get_object().contains("summary")) {
                    auto& o = v->get_object();
                    if (auto* s = o.if_contains("summary");
                        s && s->is_string() && !trim(std::string(s->get_string())).empty())
                        out["summary"] = trim(std::string(s->get_string()));
                    readInsights(o, out);
                } else {
                    out["summary"] = unfence(text);  // a model that ignored the JSON format
                }
                break;
            }
            case JobKind::Insights: {
                auto v = extractJson(text);
                if (v && v->is_object())
                    readInsights(v->get_object(), out);
                else
                    spdlog::warn("call {}: analysis sentiment/intent: reply is not JSON", b.callId);
                break;
            }
            case JobKind::Structured:
            case JobKind::StructuredMulti: {
                auto v = parseStructured(text, j.structured->schema);
                if (!v) {
                    spdlog::warn(
                        "call {}: analysis {}{}: reply is not JSON of the schema's type: {}",
                        b.callId, jobName(j.kind),
                        j.structured->key.empty() ? "" : "." + j.structured->key, clip(text, 40));
                } else if (j.kind == JobKind::Structured) {
                    out["structuredData"] = std::move(*v);
                } else {
                    multi.push_back(json::object{{j.structured->key, std::move(*v)}});
                }
                break;
            }
            case JobKind::Success:
                out["successEvaluation"] = normalizeEvaluation(plans.rubric, text);
                break;
        }
    }
    if (!multi.empty()) out["structuredDataMulti"] = std::move(multi);
    return out;
}

asio::awaitable<json::object> analyzeWithModel(AnalysisInput in, providers::Context ctx) {
    std::string providerName = json_fields::provider(in.assistant, "model", "local");
    if (providerName == "local") {
        // Regex work over the whole call: keep it off the loop that paces other calls' audio.
        if (!ctx.compute) co_return analyzeLocally(in);
        auto work = [&in] { return analyzeLocally(in); };
        co_return co_await offload(*ctx.compute, work);
    }
    Plans plans = plansOf(in.assistant);
    if (double(countUserBot(in.messages)) < plans.minMessages) co_return json::object{};
    auto* provider = providers::Registry::instance().llm(providerName);
    if (!provider) {
        spdlog::warn("call {}: analysis skipped: unsupported model provider {}", ctx.callId,
                     providerName);
        co_return json::object{};
    }
    json::object modelConfig;
    if (auto* m = obj(in.assistant, "model")) modelConfig = *m;
    // Structured data can be long; keep the assistant's short reply cap from truncating it.
    if (auto* mt = modelConfig.if_contains("maxTokens");
        mt && mt->is_number() && mt->to_number<double>() < 1000)
        modelConfig["maxTokens"] = 1000;

    std::map<std::string, std::string> vars = {{"transcript", transcriptOf(in)},
                                               {"systemPrompt", systemPromptOf(in.assistant)},
                                               {"endedReason", in.endedReason},
                                               {"rubric", rubricDescription(plans.rubric)}};
    if (auto* model = obj(in.assistant, "model"))
        if (auto* msgs = model->if_contains("messages")) vars["messages"] = json::serialize(*msgs);

    auto b = std::make_shared<Batch>(ctx.executor);
    b->callId = ctx.callId;
    if (plans.summary) {
        bool custom = !plans.summaryMessages.empty();
        Job j(JobKind::Summary, plans.summaryTimeout);
        j.withInsights = !custom;
        j.messages =
            renderMessages(custom ? plans.summaryMessages
                                  : defaultMessages({{"system", kSummaryWithInsightsSystem},
                                                     {"user", kTranscriptUser}}),
                           vars);
        b->jobs.push_back(std::move(j));
        if (custom) {
            Job k(JobKind::Insights, plans.summaryTimeout);
            k.messages = renderMessages(
                defaultMessages({{"system", kInsightsSystem}, {"user", kTranscriptUser}}), vars);
            b->jobs.push_back(std::move(k));
        }
    }
    auto addStructured = [&](JobKind kind, const StructuredPlan& p) {
        auto v = vars;
        v["schema"] = json::serialize(p.schema);
        Job j(kind, p.timeout);
        j.structured = &p;
        j.messages = renderMessages(
            p.messages.empty()
                ? defaultMessages({{"system", kStructuredSystem}, {"user", kTranscriptUser}})
                : p.messages,
            v);
        b->jobs.push_back(std::move(j));
    };
    if (plans.structured) addStructured(JobKind::Structured, *plans.structured);
    for (auto& p : plans.multi) addStructured(JobKind::StructuredMulti, p);
    if (plans.success) {
        Job j(JobKind::Success, plans.successTimeout);
        j.messages = renderMessages(plans.successMessages.empty()
                                        ? defaultMessages({{"system", kSuccessSystem},
                                                           {"user", kSuccessUser1},
                                                           {"user", kSuccessUser2}})
                                        : plans.successMessages,
                                    vars);
        b->jobs.push_back(std::move(j));
    }
    if (b->jobs.empty()) co_return json::object{};

    auto run = runJobs(b, std::move(modelConfig), ctx);
    co_await std::move(run);
    co_return collect(*b, plans);
}

asio::awaitable<json::object> analyzeSafely(AnalysisInput in, providers::Context ctx) {
    std::string callId = ctx.callId;
    try {
        auto work = analyzeWithModel(std::move(in), std::move(ctx));
        co_return co_await std::move(work);
    } catch (const std::exception& e) {
        spdlog::warn("call {}: analysis failed: {}", callId, e.what());
    } catch (...) {
        spdlog::warn("call {}: analysis failed", callId);
    }
    co_return json::object{};
}

}  // namespace

json::object analyzeLocally(const AnalysisInput& in) {
    Plans plans = plansOf(in.assistant);
    if (double(countUserBot(in.messages)) < plans.minMessages) return {};
    auto turns = conversation(in.messages);
    auto eval = evaluate(turns, in.endedReason);
    std::string summary = localSummary(turns, in.endedReason);
    json::object out;
    if (plans.summary) {
        out["summary"] = summary;
        out["sentiment"] = eval.sentiment;
        out["intent"] = intentOf(turns);
    }
    if (plans.structured)
        if (auto v = localStructured(plans.structured->schema, turns, summary, eval))
            out["structuredData"] = std::move(*v);
    json::array multi;
    for (auto& p : plans.multi)
        if (auto v = localStructured(p.schema, turns, summary, eval))
            multi.push_back(json::object{{p.key, std::move(*v)}});
    if (!multi.empty()) out["structuredDataMulti"] = std::move(multi);
    if (plans.success)
        out["successEvaluation"] = localEvaluation(plans.rubric, eval, in.endedReason);
    return out;
}

asio::awaitable<json::object> analyzeCall(AnalysisInput in, providers::Context ctx) {
    std::string callId = ctx.callId;
    try {
        if (!ctx.executor) ctx.executor = co_await asio::this_coro::executor;
        auto ex = ctx.executor;
        // Hop onto the call's executor: provider callbacks and our state live there.
        auto work = analyzeSafely(std::move(in), std::move(ctx));
        co_return co_await asio::co_spawn(ex, std::move(work), asio::use_awaitable);
    } catch (const std::exception& e) {
        spdlog::warn("call {}: analysis failed: {}", callId, e.what());
    } catch (...) {
        spdlog::warn("call {}: analysis failed", callId);
    }
    co_return json::object{};
}

}  // namespace voxa::call

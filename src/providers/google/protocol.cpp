// The Gemini wire format, no I/O: the generateContent request built from an OpenAI-format
// conversation, the streamed GenerateContentResponse decoded into LlmCallbacks, and Gemini's
// error objects as ProviderErrors (google.h).
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "providers/endpoints.h"
#include "providers/google/google.h"
#include "providers/streaming.h"

namespace voxa::providers::google {

namespace json = boost::json;

namespace {

// Bounds on what a (hostile) server or a config can make us hold or build.
constexpr int kMaxSchemaDepth = 24;
constexpr size_t kMaxSignatureBytes = 64 * 1024;  // one thoughtSignature
constexpr size_t kMaxSignatures = 128;            // per turn
constexpr size_t kMaxCallsPerTurn = 128;
constexpr size_t kMaxIdBytes = 128;

// What Gemini 3 takes in place of a thought signature it did not issue (history from another
// model, or a call made before this session): documented in "Thought signatures".
constexpr std::string_view kNoSignature = "skip_thought_signature_validator";

ProviderError failure(FailureCause cause, std::string message) {
    ProviderError e;
    e.cause = cause;
    e.message = std::move(message);
    return e;
}

std::string str(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* objectAt(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* arrayAt(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_array() ? &v->get_array() : nullptr;
}

std::optional<int64_t> integer(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    boost::system::error_code ec;
    auto n = v->to_number<int64_t>(ec);
    if (ec) return std::nullopt;
    return n;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

/// A short code made of [A-Za-z0-9_.-], else "".
std::string token(std::string s) {
    if (s.size() > 64) return {};
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return {};
    return s;
}

// ---- Request -------------------------------------------------------------------------

/// OpenAI message content (a string, or [{type:"text", text}, ...]) as its text.
std::string textOf(const json::value* content) {
    if (!content) return {};
    if (content->is_string()) return std::string(content->get_string());
    std::string out;
    if (content->is_array())
        for (auto& p : content->get_array())
            if (p.is_object() && str(p.get_object(), "type") == "text") {
                if (!out.empty()) out += "\n";
                out += str(p.get_object(), "text");
            }
    return out;
}

/// Gemini 3 and later refuse a functionCall replayed without its thought signature.
bool needsSignatures(std::string_view model) {
    if (model.starts_with("models/")) model.remove_prefix(7);
    if (!model.starts_with("gemini-") || model.size() < 8) return false;
    char major = model[7];
    return std::isdigit(static_cast<unsigned char>(major)) && major >= '3';
}

json::value schemaValue(const json::value& v, int depth);

json::object schemaObject(const json::object& in, int depth) {
    json::object out;
    if (depth > kMaxSchemaDepth) return out;
    const json::object* src = &in;
    // {anyOf: [X, {type: "null"}]} is a nullable X.
    if (auto* any = arrayAt(in, "anyOf"); any && any->size() == 2) {
        for (size_t i = 0; i < 2; ++i) {
            auto& a = (*any)[i];
            auto& b = (*any)[1 - i];
            if (a.is_object() && str(a.get_object(), "type") == "null" && b.is_object()) {
                out["nullable"] = true;
                src = &b.get_object();
                break;
            }
        }
    }
    std::string type;
    if (auto* t = src->if_contains("type")) {
        if (t->is_string()) {
            type = upper(t->get_string());
        } else if (t->is_array()) {  // ["string", "null"]
            json::array types;
            for (auto& x : t->get_array()) {
                if (!x.is_string()) continue;
                if (x.get_string() == "null") out["nullable"] = true;
                else types.push_back(json::string(upper(x.get_string())));
            }
            if (types.size() == 1) {
                type = std::string(types[0].get_string());
            } else if (types.size() > 1) {
                json::array any;
                for (auto& x : types) any.push_back(json::object{{"type", x}});
                out["anyOf"] = std::move(any);
            }
        }
    }
    static constexpr std::array<std::string_view, 7> kTypes = {"STRING", "NUMBER", "INTEGER", "BOOLEAN",
                                                               "ARRAY",  "OBJECT", "NULL"};
    if (type == "NULL" || std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) type.clear();
    if (!type.empty()) out["type"] = type;

    for (auto& [key, value] : *src) {
        if (key == "description" || key == "title" || key == "pattern") {
            if (value.is_string()) out[key] = value;
        } else if (key == "format") {
            // The Gemini API refuses formats outside these (e.g. "email" on a string).
            static constexpr std::array<std::string_view, 6> kFormats = {"enum",  "date-time", "float",
                                                                         "double", "int32",    "int64"};
            if (value.is_string() &&
                std::find(kFormats.begin(), kFormats.end(), std::string_view(value.get_string())) != kFormats.end())
                out[key] = value;
        } else if (key == "nullable") {
            if (value.is_bool() && value.get_bool()) out[key] = true;
        } else if (key == "minimum" || key == "maximum" || key == "minItems" || key == "maxItems" ||
                   key == "minLength" || key == "maxLength" || key == "minProperties" || key == "maxProperties") {
            if (value.is_number()) out[key] = value;
        } else if (key == "default" || key == "example") {
            out[key] = value;
        } else if (key == "enum" || key == "const") {
            // Gemini's enum is a list of strings.
            json::array values;
            auto add = [&](const json::value& x) {
                if (x.is_string()) values.push_back(x);
                else if (x.is_number() || x.is_bool()) values.push_back(json::string(json::serialize(x)));
            };
            if (key == "const") add(value);
            else if (value.is_array())
                for (auto& x : value.get_array()) add(x);
            if (!values.empty()) out["enum"] = std::move(values);
        } else if (key == "required" || key == "propertyOrdering") {
            if (!value.is_array()) continue;
            json::array names;
            for (auto& x : value.get_array())
                if (x.is_string()) names.push_back(x);
            if (!names.empty()) out[key] = std::move(names);
        } else if (key == "items") {
            if (value.is_object()) out[key] = schemaValue(value, depth + 1);
        } else if (key == "properties") {
            if (!value.is_object()) continue;
            json::object props;
            for (auto& [name, sub] : value.get_object())
                if (sub.is_object()) props[name] = schemaValue(sub, depth + 1);
            // An OBJECT with an empty `properties` is refused; without it, it is any object.
            if (!props.empty()) out[key] = std::move(props);
        } else if ((key == "anyOf" || key == "oneOf") && !out.contains("anyOf") && src == &in) {
            if (!value.is_array()) continue;
            json::array any;
            for (auto& x : value.get_array()) {
                if (!x.is_object()) continue;
                if (str(x.get_object(), "type") == "null") {
                    out["nullable"] = true;
                    continue;
                }
                any.push_back(schemaValue(x, depth + 1));
            }
            if (!any.empty()) out["anyOf"] = std::move(any);
        }
        // Everything else ($schema, $ref, additionalProperties, allOf, not, ...) is dropped.
    }
    // Gemini refuses a schema with both type and anyOf.
    if (out.contains("anyOf")) out.erase("type");
    return out;
}

json::value schemaValue(const json::value& v, int depth) {
    return v.is_object() ? json::value(schemaObject(v.get_object(), depth)) : json::value(json::object());
}

/// The arguments text of a tool call as the `args` object Gemini wants.
json::object argsOf(const json::object& function) {
    auto* a = function.if_contains("arguments");
    if (a && a->is_object()) return a->get_object();
    if (a && a->is_string()) {
        boost::system::error_code ec;
        auto v = json::parse(a->get_string(), ec);
        if (!ec && v.is_object()) return v.get_object();
    }
    return {};
}

/// A tool's result text as a functionResponse `response` (a JSON object): {"output": the
/// result, parsed when it is JSON}.
json::object responseOf(const std::string& content) {
    boost::system::error_code ec;
    auto v = json::parse(content, ec);
    if (ec) v = json::string(content);
    return json::object{{"output", std::move(v)}};
}

}  // namespace

std::string streamUrl(std::string_view base, std::string_view model) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    if (model.starts_with("models/")) model.remove_prefix(7);
    return std::string(base) + "/v1beta/models/" + queryEscape(model) + ":streamGenerateContent?alt=sse";
}

json::object toSchema(const json::value& jsonSchema) {
    return jsonSchema.is_object() ? schemaObject(jsonSchema.get_object(), 0) : json::object();
}

std::string buildRequestBody(const Settings& s, const LlmRequest& req, const Signatures& signatures) {
    json::array contents;
    json::array system;
    std::map<std::string, std::string> callNames;  // tool_call_id -> function name
    bool signatures3 = needsSignatures(s.model);

    // Appends parts as a turn of `role`, merged into the previous turn when it has that role.
    auto add = [&](std::string_view role, json::array parts) {
        if (parts.empty()) return;
        if (!contents.empty()) {
            auto& last = contents.back().get_object();
            if (auto* r = last.if_contains("role"); r && r->is_string() && r->get_string() == role) {
                auto& p = last["parts"].get_array();
                for (auto& x : parts) p.push_back(std::move(x));
                return;
            }
        }
        contents.push_back(json::object{{"role", role}, {"parts", std::move(parts)}});
    };

    for (auto& m : req.messages) {
        if (!m.is_object()) continue;
        auto& msg = m.get_object();
        std::string role = str(msg, "role");
        std::string text = textOf(msg.if_contains("content"));
        if (role == "system" || role == "developer") {
            if (!text.empty()) system.push_back(json::object{{"text", text}});
        } else if (role == "user") {
            json::array parts;
            if (!text.empty()) parts.push_back(json::object{{"text", text}});
            add("user", std::move(parts));
        } else if (role == "assistant") {
            json::array parts;
            if (!text.empty()) parts.push_back(json::object{{"text", text}});
            bool first = true;
            if (auto* calls = arrayAt(msg, "tool_calls"))
                for (auto& c : *calls) {
                    if (!c.is_object()) continue;
                    auto* fn = objectAt(c.get_object(), "function");
                    if (!fn) continue;
                    std::string id = str(c.get_object(), "id");
                    std::string name = str(*fn, "name");
                    callNames[id] = name;
                    json::object part{{"functionCall", json::object{{"name", name}, {"args", argsOf(*fn)}}}};
                    if (auto it = signatures.find(id); it != signatures.end() && !id.empty())
                        part["thoughtSignature"] = it->second;
                    else if (first && signatures3)
                        part["thoughtSignature"] = kNoSignature;
                    first = false;
                    parts.push_back(std::move(part));
                }
            add("model", std::move(parts));
        } else if (role == "tool" || role == "function") {
            std::string id = str(msg, "tool_call_id");
            std::string name;
            if (auto it = callNames.find(id); it != callNames.end()) name = it->second;
            if (name.empty()) name = str(msg, "name");
            if (name.empty()) name = "function";
            json::array parts;
            parts.push_back(json::object{
                {"functionResponse", json::object{{"name", name}, {"response", responseOf(text)}}}});
            add("user", std::move(parts));
        }
    }
    // Gemini answers nothing without contents: a call whose model speaks first has only the
    // system prompt, so the model is given an (empty-handed) user turn to answer.
    if (contents.empty()) add("user", json::array{json::object{{"text", "."}}});

    json::object body;
    body["contents"] = std::move(contents);
    if (!system.empty()) body["systemInstruction"] = json::object{{"parts", std::move(system)}};
    json::object config;
    if (s.temperature) config["temperature"] = *s.temperature;
    if (s.maxTokens) config["maxOutputTokens"] = *s.maxTokens;
    if (!config.empty()) body["generationConfig"] = std::move(config);

    json::array declarations;
    for (auto& t : req.tools) {
        if (!t.is_object()) continue;
        auto* fn = objectAt(t.get_object(), "function");
        if (!fn || str(*fn, "name").empty()) continue;
        json::object d{{"name", str(*fn, "name")}};
        if (auto desc = str(*fn, "description"); !desc.empty()) d["description"] = desc;
        // A function without parameters has none at all: Gemini refuses an empty OBJECT.
        if (auto* p = fn->if_contains("parameters")) {
            auto schema = toSchema(*p);
            if (schema.contains("properties") || schema.contains("anyOf")) d["parameters"] = std::move(schema);
        }
        declarations.push_back(std::move(d));
    }
    if (!declarations.empty())
        body["tools"] = json::array{json::object{{"functionDeclarations", std::move(declarations)}}};
    return json::serialize(body);
}

// ---- Errors ----------------------------------------------------------------------------

ProviderError errorFrom(const json::object& error, int httpStatus, std::string_view where) {
    ProviderError e;
    int status = httpStatus;  // the answer's own status wins over the body's
    if (auto c = integer(error, "code"); !status && c && *c >= 400 && *c <= 599) status = static_cast<int>(*c);
    std::string code = token(str(error, "status"));
    std::string message = str(error, "message");
    if (!status) {  // a status name without a number
        static const std::map<std::string, int, std::less<>> kByName = {
            {"INVALID_ARGUMENT", 400},  {"FAILED_PRECONDITION", 400}, {"UNAUTHENTICATED", 401},
            {"PERMISSION_DENIED", 403}, {"NOT_FOUND", 404},           {"RESOURCE_EXHAUSTED", 429},
            {"CANCELLED", 499},         {"INTERNAL", 500},            {"UNAVAILABLE", 503},
            {"DEADLINE_EXCEEDED", 504}};
        if (auto it = kByName.find(code); it != kByName.end()) status = it->second;
    }
    // A key Gemini does not accept is a 400 INVALID_ARGUMENT with the reason API_KEY_INVALID
    // in details[]: for the call that is an unauthorized model (Vapi's -401-unauthorized).
    if (auto* details = arrayAt(error, "details"))
        for (auto& d : *details) {
            if (!d.is_object()) continue;
            std::string reason = str(d.get_object(), "reason");
            if (reason == "API_KEY_INVALID" || reason == "API_KEY_EXPIRED") {
                status = 401;
                code = reason;
            }
        }
    if (status == 400 && message.find("API key not valid") != std::string::npos) {
        status = 401;
        code = "API_KEY_INVALID";
    }
    e.status = status;
    e.code = code;
    switch (status) {
        case 400: e.cause = FailureCause::BadRequest; break;
        case 401: e.cause = FailureCause::Unauthorized; break;
        case 402:
        case 403: e.cause = FailureCause::Forbidden; break;
        case 404: e.cause = FailureCause::NotFound; break;
        case 429: e.cause = FailureCause::RateLimited; break;
        default: e.cause = status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
    std::string head = std::string(where) + ": ";
    if (status) head += std::to_string(status) + " ";
    if (!code.empty()) head += code + " ";
    e.message = printable(head + "- " + message, 300);
    return e;
}

ProviderError httpError(int status, std::string_view body, std::string_view url) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    // {"error": {...}}, or the same inside an array (Gemini's JSON-array stream).
    if (!ec && v.is_array() && !v.get_array().empty()) v = json::value(v.get_array()[0]);
    if (!ec && v.is_object())
        if (auto* err = objectAt(v.get_object(), "error")) return errorFrom(*err, status, "google");
    ProviderError e;
    e.status = status;
    switch (status) {
        case 400: e.cause = FailureCause::BadRequest; break;
        case 401: e.cause = FailureCause::Unauthorized; break;
        case 402:
        case 403: e.cause = FailureCause::Forbidden; break;
        case 404: e.cause = FailureCause::NotFound; break;
        case 429: e.cause = FailureCause::RateLimited; break;
        default: e.cause = status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
    e.message = printable("google: HTTP " + std::to_string(status) + " from " + std::string(url) + ": " +
                              std::string(body.substr(0, 200)),
                          300);
    return e;
}

// ---- StreamDecoder ---------------------------------------------------------------------

bool StreamDecoder::fail(ProviderError e) {
    error_ = std::move(e);
    return false;
}

bool StreamDecoder::onData(std::string_view text) {
    if (error_) return false;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object())
        return fail(failure(FailureCause::BadMessage, "google: unparsable stream chunk: " + printable(text, 120)));
    auto& chunk = v.get_object();
    if (auto* err = chunk.if_contains("error")) {
        if (err->is_object()) return fail(errorFrom(err->get_object(), 0, "google: stream error"));
        return fail(failure(FailureCause::BadMessage, "google: stream error: " + printable(json::serialize(*err), 200)));
    }
    sawChunk_ = true;
    readUsage(chunk);
    if (auto* feedback = objectAt(chunk, "promptFeedback")) {
        std::string reason = str(*feedback, "blockReason");
        if (!reason.empty() && reason != "BLOCK_REASON_UNSPECIFIED") {
            ProviderError e = failure(FailureCause::Other, printable("google: the prompt was blocked (" + reason + ")", 200));
            e.code = token(reason);
            return fail(std::move(e));
        }
    }
    auto* candidates = arrayAt(chunk, "candidates");
    if (!candidates || candidates->empty() || !(*candidates)[0].is_object()) return true;
    auto& candidate = (*candidates)[0].get_object();
    if (auto* content = objectAt(candidate, "content"))
        if (auto* parts = arrayAt(*content, "parts"))
            for (auto& p : *parts) {
                if (stopped_()) return true;
                if (p.is_object()) readPart(p.get_object());
            }
    std::string reason = str(candidate, "finishReason");
    // STOP and MAX_TOKENS end an answer; SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT,
    // SPII, MALFORMED_FUNCTION_CALL, OTHER, ... withhold it: a failure when nothing was said.
    if (!reason.empty() && reason != "STOP" && reason != "MAX_TOKENS" && reason != "FINISH_REASON_UNSPECIFIED" &&
        !said_) {
        ProviderError e = failure(FailureCause::Other, printable("google: no answer (finishReason " + reason + ")", 200));
        e.code = token(reason);
        return fail(std::move(e));
    }
    return true;
}

void StreamDecoder::readPart(const json::object& part) {
    // Thought summaries (includeThoughts) are the model's reasoning, not its answer.
    if (auto* thought = part.if_contains("thought"); thought && thought->is_bool() && thought->get_bool()) return;
    if (auto* t = part.if_contains("text"); t && t->is_string() && !t->get_string().empty()) {
        said_ = true;
        if (cb_.onText && !stopped_()) cb_.onText(std::string(t->get_string()));
    }
    auto* fc = objectAt(part, "functionCall");
    if (!fc || str(*fc, "name").empty() || calls_ >= kMaxCallsPerTurn) return;
    ++calls_;
    ToolCall call;
    call.name = str(*fc, "name");
    std::string id = str(*fc, "id");
    call.id = !id.empty() && id.size() <= kMaxIdBytes ? id : "call_" + std::to_string(nextCall_++);
    auto* args = fc->if_contains("args");
    call.arguments = args && !args->is_null() ? json::serialize(*args) : "{}";
    std::string signature = str(part, "thoughtSignature");
    if (!signature.empty() && signature.size() <= kMaxSignatureBytes && signatures_.size() < kMaxSignatures)
        signatures_[call.id] = std::move(signature);
    said_ = true;
    if (cb_.onToolCall && !stopped_()) cb_.onToolCall(call);
}

void StreamDecoder::readUsage(const json::object& chunk) {
    // Every chunk may carry the totals so far; the last one has the turn's.
    auto* u = objectAt(chunk, "usageMetadata");
    if (!u) return;
    if (auto n = integer(*u, "promptTokenCount")) usage_.promptTokens = *n;
    // Thinking tokens are generated (and billed) output too.
    int64_t out = integer(*u, "candidatesTokenCount").value_or(0) + integer(*u, "thoughtsTokenCount").value_or(0);
    if (out) usage_.completionTokens = out;
    if (auto n = integer(*u, "cachedContentTokenCount")) usage_.cachedPromptTokens = *n;
}

}  // namespace voxa::providers::google

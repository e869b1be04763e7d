#include "pipeline/endpointing.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "pipeline/pipeline.h"

namespace voxa::pipeline {

const WaitFunction& voxaWaitFunction() {
    static const WaitFunction f = *WaitFunction::parse("20 + 600 * sqrt(x) + 4000 * x^3");
    return f;
}

namespace json = boost::json;

namespace {

const json::object* objectAt(const json::object& o, const char* key) {
    auto* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

std::string stringAt(const json::object& o, const char* key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

double clampTimeout(const json::object& o) {
    auto* v = o.if_contains("timeoutSeconds");
    double t = v && v->is_number() ? v->to_number<double>() : 0;
    return std::clamp(t, 0.0, 15.0);  // Vapi's bounds
}

// The last character that is not a space or a closing quote/bracket.
char lastMeaningful(std::string_view s) {
    for (size_t i = s.size(); i-- > 0;) {
        char c = s[i];
        if (!std::isspace(static_cast<unsigned char>(c)) && c != '"' && c != '\'' && c != ')') return c;
    }
    return 0;
}

}  // namespace

std::optional<std::regex> compileRuleRegex(std::string_view pattern, const json::value* options, std::string* error) {
    if (pattern.size() > kMaxRulePattern) {
        if (error) *error = "regex longer than " + std::to_string(kMaxRulePattern) + " characters";
        return std::nullopt;
    }
    // Polynomial mode: libstdc++'s breadth-first executor (no backtracking blow-up; it
    // refuses back-references, which Vapi's rules have no use for).
    auto flags = std::regex::ECMAScript | std::regex_constants::__polynomial;
    std::string p(pattern);
    if (options && options->is_array())
        for (auto& o : options->as_array()) {
            if (!o.is_object()) continue;
            auto* en = o.as_object().if_contains("enabled");
            if (!en || !en->is_bool() || !en->as_bool()) continue;
            std::string type = stringAt(o.as_object(), "type");
            if (type == "ignore-case") flags |= std::regex::icase;
            else if (type == "multi-line") flags |= std::regex::multiline;
            else if (type == "whole-word") p = "\\b(?:" + p + ")\\b";
        }
    // RegExp.test is a search; one anchored pass with a free prefix keeps it linear in the
    // text (a search from every position would be quadratic).
    try {
        return std::regex("[\\s\\S]*?(?:" + p + ")[\\s\\S]*", flags);
    } catch (const std::regex_error& e) {
        if (error) *error = std::string("invalid regex: ") + e.what();
        return std::nullopt;
    }
}

bool ruleMatches(const std::regex& re, std::string_view text) {
    if (text.size() > kMaxRuleInput) text = text.substr(text.size() - kMaxRuleInput);
    return std::regex_match(text.begin(), text.end(), re);
}

std::shared_ptr<const EndpointingPlan> endpointingPlanFrom(const json::object* sp, bool punctuates,
                                                           std::vector<std::string>* warnings) {
    auto plan = std::make_shared<EndpointingPlan>();
    auto warn = [&](std::string w) {
        if (warnings) warnings->push_back(std::move(w));
    };
    // Default: smart endpointing on. A transcriber that punctuates keeps the
    // transcriptionEndpointingPlan when the assistant sets one (the caller asked for it).
    if (sp && punctuates && objectAt(*sp, "transcriptionEndpointingPlan")) plan->smart = EndpointingPlan::Smart::Off;
    if (!sp) return plan;
    if (auto* v = sp->if_contains("smartEndpointingEnabled")) {  // deprecated, still honoured
        if (v->is_bool()) plan->smart = v->as_bool() ? EndpointingPlan::Smart::Vapi : EndpointingPlan::Smart::Off;
        else if (v->is_string() && v->as_string() == "livekit") {
            plan->smart = EndpointingPlan::Smart::Livekit;
            plan->waitFunction = WaitFunction::vapiDefault();
        }
    }
    if (auto* se = objectAt(*sp, "smartEndpointingPlan")) {
        std::string provider = stringAt(*se, "provider");
        if (provider == "livekit") {
            plan->smart = EndpointingPlan::Smart::Livekit;
            plan->waitFunction = WaitFunction::vapiDefault();  // the spec's livekit default
            if (auto* wf = se->if_contains("waitFunction"); wf && wf->is_string()) {
                std::string err;
                if (auto f = WaitFunction::parse(wf->as_string(), &err)) plan->waitFunction = std::move(*f);
                else warn("smartEndpointingPlan.waitFunction refused (" + err + "): the default is used");
            }
        } else if (provider == "vapi") {
            plan->smart = EndpointingPlan::Smart::Vapi;
        } else if (provider == "custom-endpointing-model") {
            // A server asked per transcript would put a network round trip on every turn;
            // Voxa answers with its own model instead (docs/turn-taking.md).
            plan->smart = EndpointingPlan::Smart::Vapi;
            warn("smartEndpointingPlan provider custom-endpointing-model is not supported: Voxa's own model is used");
        } else {
            warn("smartEndpointingPlan provider \"" + provider + "\" unknown: Voxa's own model is used");
        }
    }
    if (auto* rules = sp->if_contains("customEndpointingRules"); rules && rules->is_array()) {
        for (auto& r : rules->as_array()) {
            if (!r.is_object()) continue;
            if (plan->rules.size() >= kMaxRules) {
                warn("customEndpointingRules: only the first " + std::to_string(kMaxRules) + " are used");
                break;
            }
            auto& o = r.as_object();
            std::string type = stringAt(o, "type");
            EndpointingRule rule;
            rule.timeoutSeconds = clampTimeout(o);
            std::string err;
            auto compile = [&](const char* key, const char* optKey) -> std::optional<std::regex> {
                auto* v = o.if_contains(key);
                if (!v || !v->is_string()) {
                    err = std::string(key) + " missing";
                    return std::nullopt;
                }
                return compileRuleRegex(v->as_string(), o.if_contains(optKey), &err);
            };
            if (type == "assistant") {
                rule.on = EndpointingRule::On::Assistant;
                rule.assistant = compile("regex", "regexOptions");
            } else if (type == "customer") {
                rule.on = EndpointingRule::On::Customer;
                rule.customer = compile("regex", "regexOptions");
            } else if (type == "both") {
                rule.on = EndpointingRule::On::Both;
                rule.assistant = compile("assistantRegex", "assistantRegexOptions");
                if (rule.assistant) rule.customer = compile("customerRegex", "customerRegexOptions");
            } else {
                err = "unknown type \"" + type + "\"";
            }
            bool ok = rule.on == EndpointingRule::On::Both ? rule.assistant && rule.customer
                                                           : rule.assistant || rule.customer;
            if (!ok) {
                warn("customEndpointingRules: a rule was skipped: " + err);
                continue;
            }
            plan->rules.push_back(std::move(rule));
        }
    }
    return plan;
}

EndpointDecision decideEndpoint(const Settings& s, std::string_view customer, std::string_view assistantLast) {
    static const EndpointingPlan kDefault;
    const EndpointingPlan& plan = s.endpointing ? *s.endpointing : kDefault;
    EndpointDecision d;
    for (auto& r : plan.rules) {
        bool a = !r.assistant || ruleMatches(*r.assistant, assistantLast);
        bool c = !r.customer || ruleMatches(*r.customer, customer);
        if (a && c) {
            d.by = EndpointDecision::By::Rule;
            d.seconds = r.timeoutSeconds;
            return d;
        }
    }
    char last = lastMeaningful(customer);
    bool sentenceEnd = last == '.' || last == '?' || last == '!';
    bool number = std::isdigit(static_cast<unsigned char>(last));
    bool lastDigit = false;  // the last letter or digit is a digit ("at 730.")
    for (size_t i = customer.size(); i-- > 0;)
        if (std::isalnum(static_cast<unsigned char>(customer[i]))) {
            lastDigit = std::isdigit(static_cast<unsigned char>(customer[i]));
            break;
        }
    if (plan.smart != EndpointingPlan::Smart::Off) {
        if (auto model = completionModel()) {
            double p = model->probIncomplete(customer);
            double x = p;
            if (s.transcriberPunctuates) {
                // The transcriber's own judgement: a full stop halves the doubt; no stop is
                // doubt of its own (Vapi waits 1.5 s there); a number, punctuated or not,
                // may be read in chunks.
                if (lastDigit) x = std::max(p, 0.5);
                else if (sentenceEnd) x = p * 0.5;
                else x = std::max(p, 0.6);
            }
            d.by = EndpointDecision::By::Smart;
            d.probIncomplete = p;
            d.seconds = plan.waitFunction.ms(std::clamp(x, 0.0, 1.0)) / 1000.0;
            return d;
        }
        // The model is still loading (or missing): the transcription plan below.
    }
    // transcriptionEndpointingPlan, counted from the final as Vapi does. A final from a
    // transcriber without punctuation only comes after the VAD's silence: as punctuation.
    d.by = EndpointDecision::By::Transcription;
    d.fromVoice = false;
    d.seconds = s.onNoPunctuationSeconds;
    if (sentenceEnd) d.seconds = s.onPunctuationSeconds;
    else if (number) d.seconds = s.onNumberSeconds;
    else if (!s.transcriberPunctuates) d.seconds = s.onPunctuationSeconds;
    return d;
}

}  // namespace voxa::pipeline

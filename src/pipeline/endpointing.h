// When the caller's turn is over: startSpeakingPlan's endpointing, decided on the words so far.
//
//   auto plan = endpointingPlanFrom(startSpeakingPlan, transcriberPunctuates, &warnings);
//   auto d = decideEndpoint(settings, "i would like to book", lastAssistantMessage);
//   // d.seconds after the caller's last voiced frame (d.fromVoice) or after the final
//
// Precedence (Vapi's): customEndpointingRules (first match) > smartEndpointingPlan >
// transcriptionEndpointingPlan. Smart endpointing asks the completion model
// (pipeline/completion.h) how likely the words are unfinished (x), folds in the
// transcriber's punctuation where it has any, and waits waitFunction(x) ms from the
// caller's last voiced frame. Defaults and the reasoning: docs/turn-taking.md.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/completion.h"

namespace voxa::pipeline {

struct Settings;

/// One customEndpointingRules entry, compiled. Regexes run in libstdc++'s polynomial
/// (Thompson) mode on at most kMaxRuleInput characters, so no rule can stall a call.
struct EndpointingRule {
    enum class On { Assistant, Customer, Both };
    On on = On::Customer;
    std::optional<std::regex> assistant, customer;
    double timeoutSeconds = 0;
};

/// The wait for Voxa's own smart endpointing (provider "vapi", or no plan):
/// 20 + 600 * sqrt(x) + 4000 * x^3 ms. Steeper than LiveKit's default (which is tuned to
/// LiveKit's own, sharper model): the LM's x for unfinished words sits at 0.6-0.75, and those
/// must outwait a 1.2 s pause (1.44-2.2 s here), while finished ones (x < 0.1) wait < 0.2 s.
const WaitFunction& voxaWaitFunction();

struct EndpointingPlan {
    enum class Smart { Off, Vapi, Livekit };
    Smart smart = Smart::Vapi;
    WaitFunction waitFunction = voxaWaitFunction();
    std::vector<EndpointingRule> rules;
};

inline constexpr size_t kMaxRulePattern = 256;  // longer regexes are refused (a warning)
inline constexpr size_t kMaxRuleInput = 256;    // rules see the last 256 characters
inline constexpr size_t kMaxRules = 32;

/// startSpeakingPlan -> plan. `warnings`: what was refused or replaced, for the call log.
std::shared_ptr<const EndpointingPlan> endpointingPlanFrom(const boost::json::object* startSpeakingPlan,
                                                           bool transcriberPunctuates,
                                                           std::vector<std::string>* warnings = nullptr);

/// Compiles one Vapi regex (RegexOption list applied); nullopt + `error` if refused.
std::optional<std::regex> compileRuleRegex(std::string_view pattern, const boost::json::value* options,
                                           std::string* error = nullptr);
/// RegExp.test: a match anywhere in the last kMaxRuleInput characters of `text`.
bool ruleMatches(const std::regex& re, std::string_view text);

struct EndpointDecision {
    enum class By { Rule, Smart, Transcription };
    By by = By::Transcription;
    double seconds = 0;     // how long to wait
    bool fromVoice = true;  // counted from the caller's last voiced frame (else from the final)
    double probIncomplete = -1;  // the model's x, when it was asked
};

/// The wait for the caller's words so far. `assistantLast`: the assistant's last message.
EndpointDecision decideEndpoint(const Settings& s, std::string_view customer, std::string_view assistantLast);

}  // namespace voxa::pipeline

// Post-call analysis: Vapi's `assistant.analysisPlan` -> `call.analysis` (docs/analysis.md).
//
//   AnalysisInput in{.assistant = assistant, .messages = artifact.messages,
//                    .transcript = artifact.transcript, .endedReason = reason};
//   record["analysis"] = co_await analyzeCall(std::move(in), providerCtx);  // never throws
//
// Result: {summary?, structuredData?, structuredDataMulti?, successEvaluation?, sentiment?,
// intent?}; a field that is disabled, times out or fails is left out, and {} means "no
// analysis" (fewer than `minMessagesThreshold` user/bot messages, default 2).
//
// Model: the assistant's own `model` (provider from the registry). One request per enabled
// plan, all concurrent; each gives up after its plan's `timeoutSeconds` (1-60, default 10)
// and the whole analysis never waits longer than the slowest of those.
//   - summaryPlan (default on): `messages` override Vapi's default prompt. With the default
//     prompt the same request also returns the Voxa extras `sentiment` (positive|neutral|
//     negative) and `intent` (a few words); with custom messages a second small request
//     does. Summary off -> no sentiment/intent.
//   - structuredDataPlan (default off; needs `schema`) -> `structuredData`: the reply parsed
//     as JSON (code fences and surrounding prose tolerated) of the schema's top-level `type`;
//     anything else is dropped with a warning.
//   - structuredDataMultiPlan[{key, plan}] -> `structuredDataMulti`: [{"<key>": data}, ...]
//     in plan order (an array, as in Vapi's Analysis schema), successful entries only.
//   - successEvaluationPlan (default on; `rubric`, default PassFail) -> `successEvaluation`
//     string: "true"/"false" (PassFail), "1".."10" (NumericScale), "0%".."100%"
//     (PercentageScale), Excellent|Good|Fair|Poor (DescriptiveScale), Strongly Agree ..
//     Strongly Disagree (LikertScale); Checklist, Matrix, AutomaticRubric are free text.
//     A reply that does not fit its scale is kept as the model wrote it.
//   Prompt placeholders: {{transcript}}, {{systemPrompt}}, {{messages}}, {{endedReason}},
//   {{schema}} (structured data), {{rubric}} (success evaluation); unknown ones render empty.
//
// Provider "local" (also the default when the assistant has no model): the scripted model
// cannot read a transcript, so analyzeLocally() runs instead (on ctx.compute when set). It
// is a deterministic HEURISTIC, not a language model, and it ignores custom `messages`:
//   - summary: extractive; the caller's most informative sentences (most content words), the
//     assistant's reply to the best of them, how the call ended and how many turns it had.
//   - sentiment: word lexicon over the caller's turns, with negation ("not happy").
//   - intent: keyword table over the caller's turns (cancellation, appointment booking,
//     billing question, order status, technical support, ...), else "general inquiry".
//   - successEvaluation: a 0-1 score from the share of caller turns the assistant answered
//     (a "didn't catch that"/echo reply is no answer), the ended reason (errors and
//     no-answer fail) and the sentiment, mapped onto the rubric; PassFail also needs the
//     caller's last request answered and no failure reason.
//   - structuredData: each schema property is looked up in the caller's words: enum values,
//     numbers (digits or number words, within minimum/maximum), yes/no answers for booleans,
//     e-mail/phone/date/time/name patterns, else the words after the property's name ("my
//     order number is 123") or the answer to the assistant's question that named it.
//     Properties with no evidence are left out.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>

#include "providers/providers.h"

namespace voxa::call {

struct AnalysisInput {
    boost::json::object assistant;  // the resolved assistant (model, analysisPlan, ...)
    boost::json::array messages;    // artifact.messages (system/user/bot/tool_calls/...)
    std::string transcript;         // "AI: ...\nUser: ...\n" (rebuilt from messages if empty)
    std::string endedReason;
};

/// Runs on ctx.executor (whatever executor the caller is on) and returns Vapi's
/// call.analysis object. Never throws: failures only leave fields out. Pass the call's own
/// provider Context (credentials select the model's API key, as for the conversation).
boost::asio::awaitable<boost::json::object> analyzeCall(AnalysisInput in, providers::Context ctx);

/// The heuristic analyzer used for provider "local" (synchronous, deterministic). Applies
/// minMessagesThreshold and the plans' `enabled` flags like analyzeCall().
boost::json::object analyzeLocally(const AnalysisInput& in);

}  // namespace voxa::call

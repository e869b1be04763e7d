// LLM `local`: a deterministic, offline "scripted model" so a fresh install can hold a
// conversation with no model and no key. It is a rule table, not a language model.
//
// Config (the assistant's `model` object); every key is optional:
//   {
//     "provider": "local",
//     "rules": [
//       {"match": ["hello", "hi", "good morning"], "reply": "Hello! How can I help?"},
//       {"all": ["cancel", "appointment"], "reply": "Okay, your appointment is cancelled."},
//       {"regex": "order (?:number )?(\\d+)", "reply": "Looking up order {{1}}."},
//       {"match": ["weather"], "tool": "get_weather", "arguments": {"city": "Paris"},
//        "reply": "Let me check.", "toolReply": "Here is the weather: {{result}}"}
//     ],
//     "fallback": "You said: {{text}}",
//     "emptyReply": "Sorry, I didn't catch that. Could you say it again?",
//     "greeting": "Hello! How can I help you today?",
//     "toolReply": "{{result}}",
//     "tokenDelayMs": 0
//   }
//
// Which text: the latest message with role "user" (string content, or the "text" parts of
// an array). If the *last* message is a "tool" result, the turn answers with `toolReply`
// of the rule whose tool was called (found through tool_call_id), else the top-level
// `toolReply`. No user message at all -> `greeting`; a blank one -> `emptyReply`.
//
// Matching: the user text is lower-cased and split into words (letters, digits, '); a
// keyword, which may be a phrase, matches when its words appear consecutively ("hi" does not
// match "this"). A rule fires when all the criteria it has hold: `match` (any keyword),
// `all` (every keyword), `regex` (ECMAScript, case-insensitive, searched in the raw text).
// A rule without criteria always fires. Rules are tried in order; the first one wins; none
// -> `fallback`. No `rules` (or an empty list) -> built-in rules: greetings ("hello", "hi",
// "hey", "good morning/afternoon/evening") -> "Hello! How can I help you today?", farewells
// ("bye", "goodbye", "see you") -> "Goodbye! Have a great day.".
//
// Templates, in reply/fallback/toolReply and in string values of `arguments`: {{text}} = the
// user text, {{0}}..{{9}} = regex match and groups, {{result}} = the tool result text.
//
// Output: the reply is streamed word by word through onText (the first word bare, later
// ones with a leading space), `tokenDelayMs` apart (default 0: one event-loop post each).
// A rule with `tool` then emits one onToolCall {id "call_local_<n>", name, arguments as JSON
// text} (the tool need not be in the request's tool list). Then onDone with usage counted
// in words: prompt = words of all message contents, completion = words of the reply.
// Invalid config (e.g. a bad regex) -> onError on every complete(). cancel() stops all
// further callbacks of the turn.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/providers.h"

namespace voxa::providers::local {

std::shared_ptr<LlmProvider> makeScriptedProvider();

/// How the scripted model reads text: lower-cased words (letters, digits, apostrophes; UTF-8
/// bytes stay inside words). Rule keywords and the user's text are both split this way.
std::vector<std::string> scriptedWords(std::string_view text);

/// Does `hay` hold `phrase`'s words one after another (how a rule keyword matches)?
bool containsScriptedPhrase(const std::vector<std::string>& hay, const std::vector<std::string>& phrase);

}  // namespace voxa::providers::local

// Anthropic's Messages API (`model.provider: "anthropic"`, Vapi's AnthropicModel): one
// streamed request per model turn.
//
//   POST {base}/v1/messages       x-api-key: <key>, anthropic-version: 2023-06-01
//   -> {"model":"claude-sonnet-4-20250514","max_tokens":250,"stream":true,
//       "system":"<every system message, joined>","messages":[{"role":"user","content":[...]}],
//       "tools":[{"name","description","input_schema"}],"temperature":0.5,
//       "thinking":{"type":"enabled","budget_tokens":2048}}
//   <- event: message_start        {"message":{"usage":{"input_tokens", "cache_read_input_tokens", ...}}}
//      event: content_block_start  {"index":1,"content_block":{"type":"tool_use","id","name","input":{}}}
//      event: content_block_delta  {"index":0,"delta":{"type":"text_delta","text":"Hi"}}       -> onText
//                                  {"index":1,"delta":{"type":"input_json_delta","partial_json":"{\"ci"}}
//      event: content_block_stop   {"index":1}                                       -> onToolCall
//      event: message_delta        {"delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}
//      event: message_stop                                                            -> onDone
//      event: ping / event: error  {"error":{"type":"overloaded_error","message":"Overloaded"}}
//
//   registry: addLlm("anthropic", anthropic::makeLlmProvider());
//   base URL: providers::endpoint("anthropic", ctx, "https://api.anthropic.com")
//             (voxa serve --provider-url anthropic=URL); key: the call's "anthropic"
//             credential, else ANTHROPIC_API_KEY (providers/credentials.h).
//
// The pipeline speaks OpenAI's chat format (providers.h, LlmRequest); buildRequest() converts
// it: system messages -> `system`; assistant tool_calls -> tool_use blocks; tool messages ->
// user tool_result blocks; same-role neighbours merged (Anthropic wants user/assistant
// alternation, starting with user). Errors carry Anthropic's error type as `code` and the
// HTTP status Anthropic uses for it (an `error` event mid-stream has none on the wire:
// overloaded_error -> 529), so pipeline::modelEndedReason names Vapi's endedReason.
#pragma once
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/egress.h"
#include "net/http.h"
#include "providers/providers.h"

namespace voxa::providers::anthropic {

inline constexpr const char* kVersion = "2023-06-01";        // anthropic-version header
inline constexpr const char* kDefaultBaseUrl = "https://api.anthropic.com";
inline constexpr int64_t kDefaultMaxTokens = 250;            // Vapi's default for maxTokens

std::shared_ptr<LlmProvider> makeLlmProvider();

struct Settings {
    std::string url;  // {base}/v1/messages
    net::UrlSource source = net::UrlSource::Operator;
    std::string model;
    std::optional<double> temperature;
    int64_t maxTokens = kDefaultMaxTokens;
    std::optional<int64_t> thinkingBudget;  // thinking: {type:"enabled", budgetTokens}
    std::vector<net::Header> headers;       // x-api-key, anthropic-version, content-type
    std::chrono::milliseconds timeout{20'000};  // connect, and the longest silence
};

/// `{base}/v1/messages`, unless `base` already ends with it; trailing slashes dropped.
std::string messagesUrl(std::string_view base);

Settings resolveSettings(const boost::json::object& config, const Context& ctx);

/// Thinking blocks of earlier replies, by the id of the first tool_use of that reply: with
/// thinking on, Anthropic wants them back, unchanged, ahead of the tool_use they led to.
using ThinkingByToolUse = std::map<std::string, boost::json::array, std::less<>>;

/// The request body for `req` (OpenAI chat format), as described above.
boost::json::object buildRequest(const Settings& s, const LlmRequest& req,
                                 const ThinkingByToolUse* thinking = nullptr);

/// The HTTP status Anthropic answers with for an error type ("overloaded_error" -> 529,
/// "rate_limit_error" -> 429, ...), 0 for a type it does not document.
int statusForErrorType(std::string_view type);

/// error.type from an Anthropic error body ({"type":"error","error":{"type","message"}}),
/// or "" when there is none or it is not a short plain token.
std::string errorType(std::string_view body);

/// "HTTP 401 from <url>: invalid x-api-key" (printable, bounded) from an error response.
std::string describeHttpError(int status, std::string_view body, std::string_view url);

/// Decodes the events of one streamed message. Callbacks fire synchronously from onEvent();
/// `stopped` is checked before each one, so a callback that cancels the turn suppresses
/// everything after it. onDone (message_stop) or onError (an `error` event, bad JSON, a bound
/// exceeded) fires at most once, and nothing after it.
class StreamDecoder {
public:
    static constexpr size_t kMaxBlocks = 64;              // content blocks in one message
    static constexpr size_t kMaxToolInput = 1024 * 1024;  // one tool_use's JSON input
    static constexpr size_t kMaxThinking = 256 * 1024;    // thinking kept for the next turn

    StreamDecoder(const LlmCallbacks& cb, std::function<bool()> stopped)
        : cb_(cb), stopped_(std::move(stopped)) {}

    /// One SSE event: its `event:` name (may be empty: the data's "type" decides) and data.
    /// Returns false once the stream has failed.
    bool onEvent(std::string_view event, std::string_view data);

    bool finished() const { return finished_; }  // onDone or onError fired (or would have)
    bool failed() const { return failed_; }
    bool sawEvent() const { return sawEvent_; }
    const Usage& usage() const { return usage_; }
    const std::string& stopReason() const { return stopReason_; }
    /// Ids of the tool calls emitted so far, in order.
    const std::vector<std::string>& toolUseIds() const { return toolUseIds_; }
    /// The reply's thinking / redacted_thinking blocks, whole (empty if over kMaxThinking).
    boost::json::array takeThinking();

private:
    struct Block {
        std::string type;  // text, tool_use, thinking, redacted_thinking, ...
        std::string id, name;
        std::string input;      // tool_use: partial_json, accumulated
        std::string thinking;   // thinking: thinking_delta, accumulated
        std::string signature;  // thinking: signature_delta
        std::string data;       // redacted_thinking
        bool stopped = false;
    };
    bool fail(ProviderError e);
    bool handle(std::string_view type, const boost::json::object& o);
    void readUsage(const boost::json::object& usage);
    void stopBlock(Block& b);

    const LlmCallbacks& cb_;
    std::function<bool()> stopped_;
    std::map<int64_t, Block> blocks_;
    std::vector<std::string> toolUseIds_;
    boost::json::array thinking_;
    size_t thinkingBytes_ = 0;
    bool thinkingDropped_ = false;
    Usage usage_;
    int64_t inputTokens_ = 0, cacheRead_ = 0, cacheWrite_ = 0;
    std::string stopReason_;
    bool sawEvent_ = false;
    bool finished_ = false;
    bool failed_ = false;
};

}  // namespace voxa::providers::anthropic

// Pieces of the OpenAI-compatible chat provider (openai.h), exposed for tests: settings
// from the assistant's `model` config, the request body, and the stream decoder that turns
// chat.completion.chunk events into LlmCallbacks.
//
//   auto s = resolveSettings(modelConfig, ctx, "https://api.openai.com/v1");
//   if (!s.error.empty()) fail(s.error);
//   std::string body = buildRequestBody(s, request);          // POST it to s.url
//   ChatStreamDecoder dec(callbacks, [&] { return stopped; });
//   dec.onData(event.data);                                   // per SSE event
//   dec.finish();                                             // flush tool calls
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/egress.h"
#include "net/http.h"
#include "providers/providers.h"

namespace voxa::providers::openai {

struct LlmSettings {
    std::string provider;       // config.provider ("openai", "custom-llm", "groq", ...)
    std::string url;            // full endpoint: .../chat/completions
    net::UrlSource source = net::UrlSource::OrgConfig;  // who chose url (providers/endpoints.h)
    std::string model;
    std::optional<double> temperature;
    std::optional<int64_t> maxTokens;
    std::vector<net::Header> headers;  // Authorization, content type and config.headers
    std::chrono::milliseconds timeout{20'000};
    std::string error;          // set when the config cannot work (e.g. custom-llm, no url)
};

/// `{base}/chat/completions`, unless `base` already ends with it; trailing slashes dropped.
std::string chatCompletionsUrl(std::string_view base);

LlmSettings resolveSettings(const boost::json::object& config, const Context& ctx,
                            const std::string& defaultBaseUrl);

std::string buildRequestBody(const LlmSettings& s, const LlmRequest& req);

/// OpenAI's error.code (else error.type) from an error body ("invalid_api_key",
/// "insufficient_quota"), or "" when there is none or it is not a short plain token.
std::string errorCode(std::string_view body);

/// "HTTP 401 from <url>: Incorrect API key provided" from an error response.
std::string describeHttpError(int status, std::string_view body, std::string_view url);

/// Decodes the JSON payloads of one streamed completion. Callbacks fire synchronously from
/// onData()/finish(); `stopped` is checked before each one, so a callback that cancels the
/// turn suppresses everything after it.
class ChatStreamDecoder {
public:
    ChatStreamDecoder(const LlmCallbacks& cb, std::function<bool()> stopped)
        : cb_(cb), stopped_(std::move(stopped)) {}

    /// One SSE `data` payload (not "[DONE]"). Returns false on an in-stream error object or
    /// unparsable JSON; error() then says why.
    bool onData(std::string_view json);
    /// A whole non-streamed chat.completion (servers that ignore stream:true).
    bool onCompletion(std::string_view json);
    /// End of stream: emits tool calls not yet flushed by a finish_reason.
    void finish();

    const Usage& usage() const { return usage_; }
    const std::string& error() const { return error_; }
    bool sawChunk() const { return sawChunk_; }

private:
    struct PendingCall {
        ToolCall call;
        bool emitted = false;
    };
    void addToolDelta(const boost::json::object& delta, size_t position);
    void readUsage(const boost::json::object& chunk);
    void flushToolCalls();

    const LlmCallbacks& cb_;
    std::function<bool()> stopped_;
    std::map<int64_t, PendingCall> calls_;  // by tool_calls[].index, emitted in that order
    Usage usage_;
    std::string error_;
    bool sawChunk_ = false;
};

}  // namespace voxa::providers::openai

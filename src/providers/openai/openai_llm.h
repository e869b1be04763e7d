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
    /// custom-llm: Vapi's metadataSendMode ("off", "variable" (default), "destructured"):
    /// what the call adds to the body (customLlmExtras).
    std::string metadataSendMode;
};

/// Azure OpenAI's default data-plane api-version (the latest GA release of the inference
/// API); a model config may set its own with `apiVersion`.
inline constexpr std::string_view kAzureApiVersion = "2024-10-21";

/// `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version={version}`
/// (endpoint: the credential's openAIEndpoint, trailing slashes dropped). A Vapi model name
/// with a region ("gpt-4o-2024-11-20:westus") names the deployment without it.
std::string azureChatUrl(std::string_view endpoint, std::string_view deployment,
                         std::string_view apiVersion = kAzureApiVersion);

/// Whether `provider`'s model `model` goes to the org's Azure OpenAI deployment: provider
/// "azure-openai", or "openai" when the call has an azure-openai credential (Vapi: "when
/// using your own Azure credentials"; resolveCredentials adds it only when its `models` list
/// the assistant's model).
bool usesAzure(std::string_view provider, std::string_view model, const Context& ctx);

/// What Vapi adds to a custom-llm request for `mode` (metadataSendMode): "off" nothing;
/// "variable" (the default) {metadata, call, phoneNumber, customer}; "destructured" the
/// assistant's metadata fields themselves, then call, phoneNumber, customer. `message` is
/// the call's server message ({call, assistant, customer, phoneNumber}: Context::serverRequest).
boost::json::object customLlmExtras(std::string_view mode, const boost::json::object& message);

/// `{base}/chat/completions`, unless `base` already ends with it; trailing slashes dropped.
std::string chatCompletionsUrl(std::string_view base);

LlmSettings resolveSettings(const boost::json::object& config, const Context& ctx,
                            const std::string& defaultBaseUrl);

/// The chat completions body; `extras` (custom-llm's call and metadata) are added without
/// replacing the body's own fields.
std::string buildRequestBody(const LlmSettings& s, const LlmRequest& req,
                             const boost::json::object* extras = nullptr);

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

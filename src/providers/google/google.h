// Google Gemini (`model.provider: "google"`, Vapi's GoogleModel): the Gemini API's streamed
// generateContent, POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse with the
// key in the `x-goog-api-key` header (never in the URL). Each SSE `data:` is one
// GenerateContentResponse.
//
//   registry: addLlm("google", google::makeLlmProvider());
//   base URL: providers::endpoint("google", ctx, kDefaultBaseUrl) (voxa serve --provider-url
//             google=URL); key: the call's "google" credential, else GOOGLE_API_KEY /
//             GEMINI_API_KEY (providers/credentials.h)
//
// The conversation comes in OpenAI's chat format and is converted (buildRequestBody):
// system messages -> systemInstruction; user/assistant -> `contents` with roles user/model
// (consecutive same-role turns merged); assistant tool_calls -> functionCall parts; tool
// results -> functionResponse parts in a user turn, named after the call they answer; tools
// -> one `functionDeclarations` list, their JSON Schema cut down to the OpenAPI subset Gemini
// accepts (toSchema); temperature and maxTokens -> generationConfig.
//
// Back (StreamDecoder): text parts -> onText (thought summaries are never spoken),
// functionCall parts -> onToolCall at once (Gemini sends whole calls; ids "call_<n>" unless
// the part has one), usageMetadata -> Usage, a block or a finishReason such as SAFETY with no
// output -> onError, an error object -> onError with its HTTP status (error.code) and code
// (error.status, "RESOURCE_EXHAUSTED"); a bad key (400 API_KEY_INVALID) is reported as 401.
// Gemini 3's thoughtSignature on a functionCall is kept per call id by the session and sent
// back with that call, as the API requires.
#pragma once
#include <boost/json.hpp>

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

namespace voxa::providers::google {

inline constexpr std::string_view kDefaultBaseUrl = "https://generativelanguage.googleapis.com";

std::shared_ptr<LlmProvider> makeLlmProvider();

struct Settings {
    std::string url;  // {base}/v1beta/models/{model}:streamGenerateContent?alt=sse
    net::UrlSource source = net::UrlSource::Operator;
    std::string model;
    std::optional<double> temperature;
    std::optional<int64_t> maxTokens;
    std::vector<net::Header> headers;  // Content-Type, Accept, x-goog-api-key
    std::chrono::milliseconds timeout{20'000};  // connect, and the longest silence
    std::string error;  // the config cannot work (no model)
};

/// Settings for a model config: base URL from the endpoint, key from ctx.credentials (else
/// the environment), timeout from Voxa's `timeoutSeconds` as for the OpenAI-compatible models.
Settings resolveSettings(const boost::json::object& config, const Context& ctx);

/// `{base}/v1beta/models/{model}:streamGenerateContent?alt=sse`; the model name is
/// percent-escaped, a "models/" prefix dropped, trailing slashes of `base` ignored.
std::string streamUrl(std::string_view base, std::string_view model);

/// A JSON Schema (an OpenAI tool's `parameters`) as Gemini's Schema, an OpenAPI 3.0 subset:
/// the keywords it has are kept (type upper-cased), type arrays and anyOf with "null" become
/// `nullable`, oneOf -> anyOf, const -> enum, enum values as strings; the rest
/// (additionalProperties, $schema, $ref, ...) is dropped. Depth is bounded.
boost::json::object toSchema(const boost::json::value& jsonSchema);

/// Tool call id -> the thoughtSignature Gemini sent with that call.
using Signatures = std::map<std::string, std::string>;

/// The generateContent request for an OpenAI-format conversation (see the top).
std::string buildRequestBody(const Settings& s, const LlmRequest& req, const Signatures& signatures = {});

/// A Gemini error object ({code, message, status, details}) as a ProviderError: status
/// `httpStatus` (else error.code, else by error.status's name), code error.status, the
/// cause from the status; a key Gemini refused (API_KEY_INVALID) is 401 Unauthorized.
/// `where` prefixes the message.
ProviderError errorFrom(const boost::json::object& error, int httpStatus, std::string_view where);

/// The ProviderError for a non-2xx answer with `body` (Gemini's error JSON, or anything).
ProviderError httpError(int status, std::string_view body, std::string_view url);

/// Decodes the GenerateContentResponse payloads of one streamed turn. Callbacks fire
/// synchronously from onData(); `stopped` is checked before each one, so a callback that
/// cancels the turn suppresses everything after it.
class StreamDecoder {
public:
    /// Generated tool call ids are "call_<n>" from `firstCallNumber` on (the session counts
    /// across turns, so ids stay unique in the conversation).
    StreamDecoder(const LlmCallbacks& cb, std::function<bool()> stopped, uint64_t firstCallNumber = 1)
        : cb_(cb), stopped_(std::move(stopped)), nextCall_(firstCallNumber) {}

    /// One SSE `data` payload. Returns false when the turn failed (an error object, a
    /// blocked prompt, unparsable JSON, a finishReason such as SAFETY with nothing said);
    /// error() then says how, and nothing more is decoded.
    bool onData(std::string_view json);

    const Usage& usage() const { return usage_; }
    const std::optional<ProviderError>& error() const { return error_; }
    bool sawChunk() const { return sawChunk_; }
    uint64_t nextCallNumber() const { return nextCall_; }
    /// thoughtSignatures of the calls made in this turn (bounded).
    const Signatures& signatures() const { return signatures_; }

private:
    bool fail(ProviderError e);
    void readUsage(const boost::json::object& chunk);
    void readPart(const boost::json::object& part);

    const LlmCallbacks& cb_;
    std::function<bool()> stopped_;
    uint64_t nextCall_;
    Usage usage_;
    Signatures signatures_;
    std::optional<ProviderError> error_;
    size_t calls_ = 0;
    bool said_ = false;  // text or a tool call was delivered
    bool sawChunk_ = false;
};

}  // namespace voxa::providers::google

// OpenAI speech-to-text (`transcriber.provider: "openai"`, Vapi's OpenAITranscriber): one
// request per utterance to the Audio API, cut by Voxa's end of speech (SttSession::finalize()):
//
//   POST {base}/audio/transcriptions          Authorization: Bearer <key>
//   Content-Type: multipart/form-data; boundary=...
//     file=<the utterance as a WAV, 16 kHz mono s16>, model, language (when set),
//     response_format=json, stream=true (gpt-4o-transcribe, gpt-4o-mini-transcribe)
//
//   stream=true: SSE, {"type":"transcript.text.delta","delta":" wonder"} ... -> partial
//   transcripts (the text so far), then {"type":"transcript.text.done","text":"..."} -> the final.
//   Otherwise (whisper-1, or a server that ignores stream): {"text":"..."} -> the final.
//
//   registry: addStt("openai", openai::makeSttProvider());
//   base URL: providers::endpoint("openai", ctx, "https://api.openai.com/v1"): the API root,
//             shared with the chat model (voxa serve --provider-url openai=http://host:port/v1
//             also serves an OpenAI-compatible transcription server, e.g. a local whisper).
//
// Utterances are sent one at a time, in order, so finals arrive in the order spoken. An
// utterance longer than kMaxTranscriptionSeconds is sent as it reaches that length (a final for
// that part; the rest follows). Audio shorter than 0.1 s (OpenAI refuses it) gets an empty
// final without a request. Failures reach SttCallbacks::onError, fatal, with a cause: 401 ->
// Unauthorized, 403 -> Forbidden, 400 -> BadRequest, 5xx -> ServerError, refused ->
// ConnectFailed, the connection cut mid-answer -> Disconnected, no byte for
// kTranscriptionTimeout -> Timeout, a body that is neither JSON nor SSE -> BadMessage.
#pragma once
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "providers/openai/openai.h"
#include "providers/openai/sse.h"
#include "providers/providers.h"

namespace voxa::providers::openai {

/// Longest utterance sent in one request; longer speech is cut there.
inline constexpr int kMaxTranscriptionSeconds = 60;
/// No byte of the answer for this long (before the status line, or between reads) fails the
/// session with Timeout.
inline constexpr std::chrono::seconds kTranscriptionTimeout{10};

/// What one transcription request asks for, from Vapi's OpenAITranscriber fields.
struct TranscriptionSettings {
    std::string model = "gpt-4o-transcribe";
    std::string language;  // ISO-639-1, empty: detected by the model
    bool stream = true;    // SSE deltas (not whisper-1, which ignores it)
};

TranscriptionSettings transcriptionSettings(const boost::json::object& config);

/// A multipart/form-data body (RFC 7578) for a transcription of `wav`. `boundary` must not
/// occur in the data (makeBoundary() gives a random one).
std::string transcriptionBody(const TranscriptionSettings& s, std::string_view wav,
                              std::string_view boundary);
std::string makeBoundary();

/// Decodes one transcription answer as it streams in: SSE events or a plain JSON object
/// (told apart by the first byte). Pure, for tests.
class TranscriptionDecoder {
public:
    struct Update {
        std::optional<std::string> partial;  // the text so far, after a delta
        std::optional<std::string> final;    // the whole text (done event, or the JSON answer)
    };
    /// Body bytes as they arrive. Returns false once the body is not a transcription (error()).
    bool feed(std::string_view bytes, std::vector<Update>& out);
    /// End of body: a plain JSON answer is decoded here; a stream that ended without its done
    /// event gives the deltas so far as the final. Returns false as feed() does.
    bool finish(std::vector<Update>& out);
    const std::string& error() const { return error_; }
    bool done() const { return done_; }

private:
    bool onEvent(std::string_view data, std::vector<Update>& out);

    enum class Kind { Unknown, Sse, Json } kind_ = Kind::Unknown;
    SseParser sse_{256 * 1024};
    std::vector<SseEvent> events_;
    std::string json_;     // a plain JSON answer so far
    std::string text_;     // deltas so far
    std::string error_;
    bool sawEvent_ = false;
    bool done_ = false;
};

}  // namespace voxa::providers::openai

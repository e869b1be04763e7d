// Your own transcriber (`transcriber.provider: "custom-transcriber"`), on Vapi's documented
// protocol (CustomTranscriber.server): a WebSocket to `transcriber.server.url`, opened when
// the call is set up and kept through it:
//
//   -> {"type":"start","encoding":"linear16","container":"raw","sampleRate":16000,"channels":2}
//   -> binary: the call as interleaved stereo s16le, channel 0 the customer, channel 1 the
//      assistant (what Voxa plays, silence while it is quiet), in real time, silence included
//   <- {"type":"transcriber-response","transcription":"...","channel":"customer"|"assistant"}
//
// Customer transcriptions are finals and drive the turns (through Voxa's VAD and
// startSpeakingPlan as any transcriber's); assistant ones are skipped. The server decides when
// an utterance ends; when Voxa's VAD ends one and the server says nothing for it within
// kAnswerWait, it counts as nothing heard (a transcription arriving later still counts).
// The upgrade carries the headers of the call's server requests (X-Vapi-Secret from
// server.secret, a credential's bearer header, server.headers); the URL is org
// configuration and goes through the egress policy.
//
// Failures are fatal (SttCallbacks::onError, then a fallback or the call ends with
// pipeline-error-custom-transcriber-failed): a refused upgrade (401 -> Unauthorized, ...),
// a refused connection or the egress policy (ConnectFailed), the socket closed in the middle
// of the call (Disconnected), a message that is not the protocol's or larger than
// kMaxMessageBytes (BadMessage).
//
//   registry: addStt("custom-transcriber", custom_transcriber::makeSttProvider());
#pragma once
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "providers/providers.h"

namespace voxa::providers::custom_transcriber {

std::shared_ptr<SttProvider> makeSttProvider();

inline constexpr std::chrono::milliseconds kAnswerWait{3000};
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
inline constexpr size_t kMaxTranscriptBytes = 4000;

/// The first message: {"type":"start","encoding":"linear16","container":"raw","sampleRate":N,"channels":2}.
std::string startMessage(int sampleRate);

/// One message from the server, decoded.
struct ServerMessage {
    enum class Kind { Customer, Assistant, Ignore, Invalid };
    Kind kind = Kind::Invalid;
    std::string text;   // Customer / Assistant: the transcription, trimmed (at most kMaxTranscriptBytes)
    std::string error;  // Invalid: what is wrong; Ignore: what was skipped (for the log)
};

ServerMessage decode(std::string_view text);

/// Pairs the caller's audio with the assistant's into interleaved stereo s16le (channel 0
/// the customer, 1 the assistant). Both sides come in real time but not in lockstep: a side
/// that falls quiet (the transport pausing, a stalled loop) holds the other back at most
/// kSlack samples, after which the other goes on with silence in the quiet channel.
class StereoMixer {
public:
    static constexpr size_t kSlack = 1600;  // 100 ms at 16 kHz
    void caller(std::span<const int16_t> pcm) { caller_.insert(caller_.end(), pcm.begin(), pcm.end()); }
    void assistant(std::span<const int16_t> pcm) { assistant_.insert(assistant_.end(), pcm.begin(), pcm.end()); }
    /// Appends the stereo frames ready now to `out` (little-endian s16, L R L R ...).
    void take(std::string& out);

private:
    std::deque<int16_t> caller_, assistant_;
};

}  // namespace voxa::providers::custom_transcriber

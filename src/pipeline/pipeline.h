// The real-time voice pipeline: small stages passing frames one way.
//
//   Pipeline p(config, providerCtx, observer);      // builds the chain below
//   p.pushAudio(pcm16k);                            // from the transport, 20 ms at a time
//   p.tick();                                       // every 20 ms: paces one frame out
//
//   transport in -> EchoStage -> VadStage -> SttStage -> TurnStage -> LlmStage
//                -> SentenceStage -> TtsStage -> OutputStage -> observer (session: transcript,
//                   messages, out); every frame played -> EchoStage (the echo's reference)
//
// Audio inside is audio::kRate mono s16; transports convert at the edges. Control frames
// (Interruption, EndOfTurn, Speak) travel the same chain, so barge-in is just a frame that
// every stage below the turn detector reacts to. Everything runs on the call's event loop;
// providers call back on it too, so no stage needs a lock.
//
// What Voxa adds to a provider's latency is measured per utterance, from the read of the
// provider's bytes (Frame::readAt) to the first 20 ms frame handed to the transport, in
// voxa_provider_to_wire_seconds{kind, provider} (docs/providers.md, "Latency"):
//   kind="voice":        an utterance's first playable audio -> its first frame, counted when
//                        nothing plays before it (else the wait is playback, not latency);
//   kind="transcriber":  the final transcript that ends a turn -> the reply's first frame
//                        (the endpointing waits, the model and the voice are in between).
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "providers/providers.h"

namespace voxa::pipeline {

struct EndpointingPlan;  // pipeline/endpointing.h

enum class FrameKind {
    InputAudio,            // pcm: caller audio
    UserStartedSpeaking,   // VAD: speech onset (60 ms of voice)
    UserStoppedSpeaking,   // VAD: silence after speech
    Transcript,            // text + isFinal: from STT
    UserTurn,              // text: endpointed user turn, the LLM should answer
    Interruption,          // barge-in: drop queued audio, cancel LLM/TTS
    Hold,                  // the caller may be barging in: pause the output where it is
                           // (TurnStage -> OutputStage, which passes it on only if it held)
    Resume,                // it was not an interruption: play on from where it was held
    Duck,                  // the VAD hears the caller over the assistant: silent at once, the
                           // position kept, until voiceSeconds holds it (TurnStage ->
                           // OutputStage; not reported, not passed on)
    Unduck,                // the sound ended before voiceSeconds (a click, a cough): play on
    Speak,                 // text: say this verbatim (first message, say, end-call message);
                           // with pcm: play that audio instead (DTMF tones)
    LlmText,               // text: a streamed delta of the assistant's reply
    LlmToolCall,           // toolCall
    LlmDone,               // the model finished its reply (usage in tokens)
    LlmError,              // text: provider error
    TtsText,               // text + utterance: one sentence to synthesize
    OutputAudio,           // pcm + utterance: synthesized audio to pace out
    UtteranceDone,         // utterance: TTS finished this utterance
    BotStartedSpeaking,    // utterance: first frame of an utterance left
    BotStoppedSpeaking,    // the output queue ran dry
    UtteranceSpoken,       // utterance + text: an utterance was fully played
    Speculate,             // text: the turn will likely end with these words, ask the model
                           // now and hold its answer (TurnStage -> LlmStage; "" withdraws)
};

const char* toString(FrameKind k);

struct Frame {
    FrameKind kind;
    audio::Samples pcm;
    std::string text;
    bool isFinal = false;
    double confidence = 0;      // Transcript: the transcriber's, 0-1 (0: not given)
    uint64_t utterance = 0;
    bool endCallAfter = false;  // Speak: hang up once spoken
    providers::ToolCall toolCall;
    providers::Usage usage;
    bool interruptible = true;  // TtsText: barge-in may cut this utterance
    /// LlmError from a provider session that cannot go on: Vapi's endedReason for the
    /// failure (pipeline/ended_reason.h); the call ends with it. Empty: not fatal.
    std::string endedReason;
    bool replyStart = false;    // TtsText: the first sentence of a reply or of a Speak (the
                                // record keeps one bot message per reply)
    /// When the provider's bytes behind this frame were read (net/read_time.h): Transcript,
    /// OutputAudio. UserTurn and the first TtsText of the model's reply to it: the final
    /// transcript's. Unset: nothing to time from (a Speak, DTMF, an injected turn).
    std::chrono::steady_clock::time_point readAt{};
};

/// Tunables from the assistant config (startSpeakingPlan, stopSpeakingPlan, ...).
struct Settings {
    // startSpeakingPlan
    double waitSeconds = 0.4;
    double onPunctuationSeconds = 0.1;
    double onNoPunctuationSeconds = 1.5;
    double onNumberSeconds = 0.4;
    bool transcriberPunctuates = true;  // false for pocketsphinx: finals end sentences
    /// smartEndpointingPlan / smartEndpointingEnabled / customEndpointingRules, compiled
    /// (pipeline/endpointing.h; null: the defaults).
    std::shared_ptr<const EndpointingPlan> endpointing;
    /// Ask the model ahead on words that look like a finished turn, answer held until the
    /// turn ends (Voxa's own; always on, a switch for tests and benches).
    bool speculate = true;
    // stopSpeakingPlan (Vapi's defaults; an explicit list, even empty, replaces them)
    int numWords = 0;
    double voiceSeconds = 0.2;
    double backoffSeconds = 1.0;
    std::vector<std::string> interruptionPhrases{
        "stop", "shut", "up", "enough", "quiet", "silence", "but", "dont", "not", "no",
        "hold", "wait", "cut", "pause", "nope", "nah", "nevermind", "never", "bad", "actually"};
    std::vector<std::string> acknowledgementPhrases{
        "i understand", "i see", "i got it", "i hear you", "im listening", "im with you", "right",
        "okay", "ok", "sure", "alright", "got it", "understood", "yeah", "yes", "uh-huh", "mm-hmm",
        "gotcha", "mhmm", "ah", "yeah okay", "yeah sure"};
    // VAD
    int vadMode = 2;
    double vadStopSeconds = 0.35;  // silence that ends a user utterance
    bool firstMessageInterruptionsEnabled = false;
};

Settings settingsFrom(const boost::json::object& assistant);

/// Shared, single-threaded call state the stages consult.
struct State {
    bool botSpeaking = false;      // output is playing assistant audio
    bool userSpeaking = false;     // VAD says the user is talking
    int64_t userVoicedMs = 0;      // voiced audio since the user started speaking (voiceSeconds)
    int64_t lastVoicedMs = -1;     // call clock at the caller's last voiced frame (VadStage)
    /// The model's own latency for the latest request: asked -> first token (LlmStage), -1
    /// until it answers. A request asked ahead of the turn still counts from its asking.
    int64_t modelLatencyMs = -1;
    /// The caller's words so far look like a finished turn (TurnStage): the VAD ends the
    /// utterance after a shorter silence, so the final comes sooner.
    bool turnLooksComplete = false;
    bool responding = false;       // an LLM/TTS turn is in flight
    bool interruptible = true;     // a Speak injected now may be interrupted (set around inject)
    bool playingInterruptible = true;  // the utterance playing now may be (output sets it)
    /// When the caller last interrupted the assistant (TurnStage): the output starts no new
    /// utterance before backoffSeconds after it (stopSpeakingPlan.backoffSeconds).
    int64_t userInterruptedAtMs = -1;
    int64_t nowMs = 0;             // call clock (ms since start), advanced by tick()
    /// EchoStage's verdict on the 20 ms caller frame being passed down now: it is only the
    /// assistant's own voice coming back (echo_stage.h). VadStage does not count it as voice.
    bool inputEcho = false;
    uint64_t nextUtterance = 1;
    /// The transcriber and voice serving now (Vapi's provider names): the primary, or the
    /// fallbackPlan entry that took over (providers/fallback.h). The record names them per turn.
    std::string transcriber = "local";
    std::string voice = "local";
    /// The model serving now: its provider (Vapi's name, for the endedReason) and its
    /// `model` ("gpt-4o"; "" if the config has none): the primary, or the fallbackModels
    /// entry that took over (providers/fallback.h, FallbackLlm). The record names it per reply.
    std::string model = "local";
    std::string modelName;
    /// Model switches not yet reported ({from, to, cause, status, detail}): the session
    /// takes them into the turn's Provider log (GET /logs) and clears them.
    std::vector<boost::json::object> modelSwitches;
};

class Stage {
public:
    virtual ~Stage() = default;
    virtual void process(Frame f) = 0;
    /// Called every 20 ms (call clock advanced) so stages can run timers.
    virtual void tick() {}
    void setNext(Stage* n) { next_ = n; }

protected:
    void push(Frame f) {
        if (next_) next_->process(std::move(f));
    }
    Stage* next_ = nullptr;
};

/// Receives every frame that leaves the chain, plus the audio to send.
class Observer {
public:
    virtual ~Observer() = default;
    virtual void onFrame(const Frame& f) = 0;
    /// One 20 ms frame of assistant audio (or silence when idle, if wanted) to transmit.
    virtual void onOutputFrame(std::span<const int16_t> pcm, bool silence) = 0;
    /// Audio is ready while the output is idle: tick() as soon as possible (and pace on
    /// from then) rather than at the next 20 ms boundary, so a reply is not held back.
    virtual void onOutputReady() {}
};

struct PipelineConfig {
    boost::json::object assistant;  // resolved assistant (overrides + variables applied)
    providers::Context providerCtx;
};

class Pipeline {
public:
    Pipeline(PipelineConfig cfg, Observer& observer);
    ~Pipeline();

    /// Builds the provider sessions. Returns an error text (e.g. unknown provider).
    std::optional<std::string> start();
    void pushAudio(std::span<const int16_t> pcm);
    /// Injects a frame at the head of the output part (Speak, UserTurn from add-message,...).
    void inject(Frame f);
    /// Barge-in from outside (e.g. a say with interruptAssistantEnabled).
    void interrupt();
    /// Advances the call clock by one frame and paces one output frame.
    void tick();
    /// Moves the call clock forward to `ms` (never back): the session re-phases its
    /// 20 ms clock to the moment a reply's first audio is ready.
    void advanceClockTo(int64_t ms);
    /// Adds a message to the model's context (add-message, tool results).
    void addMessage(boost::json::object message);
    /// Final words of the caller that no UserTurn has taken yet ("" none).
    std::string unansweredWords() const;
    /// After a barge-in: the model's context keeps only what the caller heard of the reply
    /// (replacing the finished reply, or adding the heard part of a cancelled one).
    void recordInterruptedReply(const std::string& heard);
    /// Appends a tool result and asks the model to continue.
    void addToolResult(const std::string& toolCallId, const std::string& name,
                       const std::string& result, bool respond);
    /// The conversation as the model sees it (OpenAI format).
    const boost::json::array& conversation() const;
    State& state();
    const Settings& settings() const;
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace voxa::pipeline

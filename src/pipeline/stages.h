// The stages of the voice pipeline (see pipeline.h for the chain and the contract).
// Each stage consumes the frames it owns and forwards every other frame unchanged.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/endpointing.h"
#include "pipeline/pipeline.h"

namespace voxa::audio {
class VoiceDetector;
}

namespace voxa::pipeline {

/// Shared by the stages of one pipeline (same thread, no locks).
struct Shared {
    Settings settings;
    State state;
    boost::json::array conversation;  // OpenAI-format messages the model sees
    int64_t lastReplyIndex = -1;      // the model's latest reply in `conversation`
    boost::json::array tools;         // OpenAI-format tools
    Observer* observer = nullptr;
};

/// What the caller said over the assistant, as stopSpeakingPlan weighs it.
struct Heard {
    bool acknowledgement = false;     // only acknowledgementPhrases (fillers between them)
    bool interruptionPhrase = false;  // has an interruptionPhrases entry (whole words)
    /// Real words: 0 for fillers ("hmm", single letters), a lone function word ("if",
    /// "the"), a one- or two-word guess below 0.1 confidence, more words than the voice
    /// could carry;
    /// those are how recognizers hear coughs and backchannels.
    int words = 0;
    /// `confidence` 0: not given. `partial`: the text may still grow ("i" of "i see").
    /// `voicedMs` (0: unknown): the caller's voice behind it; more words than that could
    /// carry are a guess too.
    static Heard of(const Settings& set, std::string_view text, double confidence = 0, bool partial = false,
                    int64_t voicedMs = 0);
    /// A lone interruption phrase this likely to leave the sentence unfinished (completion
    /// model) is an opener, not an interruption, when it comes from under a second of voice.
    static constexpr double kOpenerIncomplete = 0.9;
    /// Whether this stops the assistant (Vapi: acknowledgements never do, interruption
    /// phrases always do, else numWords words; numWords 0: any word the voice came with).
    bool interrupts(int numWords, bool partial = false) const;
};

/// Speech onset/offset from a VoiceDetector on 20 ms frames.
class VadStage : public Stage {
public:
    VadStage(Shared& s, std::unique_ptr<audio::VoiceDetector> vad);
    ~VadStage() override;
    void process(Frame f) override;

private:
    void analyze(std::span<const int16_t> frame);
    Shared& s_;
    std::unique_ptr<audio::VoiceDetector> vad_;
    audio::Samples carry_;
    std::deque<bool> recent_;  // last frames' decisions
    int silentFrames_ = 0;
    double peakLevel_ = 0;     // loudest frame (RMS) of the current utterance
};

/// Feeds speech (plus a short pre-roll) to the STT session; finalizes on speech end.
class SttStage : public Stage {
public:
    SttStage(Shared& s, std::unique_ptr<providers::SttSession> stt);
    ~SttStage() override;
    void process(Frame f) override;
    /// Entry point for transcripts coming back from the provider.
    void onTranscript(const providers::Transcript& t);
    /// What the assistant played in one 20 ms frame (zeros when quiet).
    void onAssistantAudio(std::span<const int16_t> pcm);

private:
    void trimPreroll();  // keep the last 300 ms
    Shared& s_;
    std::unique_ptr<providers::SttSession> stt_;
    audio::Samples preroll_;
    bool feeding_ = false;
};

/// End of turn per startSpeakingPlan, and barge-in per stopSpeakingPlan.
///
/// Barge-in is decided in two steps, after a duck: at the VAD's onset over interruptible
/// assistant audio the output goes silent within a frame (Duck), and plays on from where it
/// was if the sound ends short of voiceSeconds (Unduck: a click, a cough). Once the caller
/// has voiceSeconds of voice over interruptible assistant audio, the output is held at once
/// (a Hold frame; the very next tick sends nothing) and the transcriber decides: words that
/// interrupt (Heard) confirm it (Interruption: the reply is cut to what was heard); an
/// acknowledgement, a cough or noise (no words) resume it where it stopped (Resume). Without a decision the hold ends:
/// kConfirmVoicedMs of voice confirms (numWords 0), the final's absence after kFinalWaitMs
/// or kMaxHoldMs in all resume, so the call is never left silent.
class TurnStage : public Stage {
public:
    explicit TurnStage(Shared& s) : s_(s) {}
    void process(Frame f) override;
    void tick() override;
    /// Barge-in by voice: holds the output once the user has talked over the bot long
    /// enough, and ends a hold nothing decided.
    void checkBargeIn();
    const std::string& pendingWords() const { return pending_; }  // finals no turn took yet

    /// Voice over the assistant that confirms a barge-in without words (numWords 0): longer
    /// than backchannels ("yeah okay", "i understand": 0.5-0.9 s), shorter than the time a
    /// real barge-in waits for pocketsphinx's words when they come late.
    static constexpr int64_t kConfirmVoicedMs = 1500;
    /// After the caller stopped, the final decides; a transcriber that sends none in this
    /// long (pocketsphinx takes 0.2-0.4 s, a loaded machine more) lets the assistant resume.
    static constexpr int64_t kFinalWaitMs = 1000;
    static constexpr int64_t kMaxHoldMs = 5000;  // a hold never lasts longer than this
    /// Words in partials (no interruption phrase) confirm only after this much voice: more
    /// than a backchannel has, so those are left to the final.
    static constexpr int64_t kPartialWordsVoicedMs = 1000;
    /// A duck ends when the voice has stopped this long short of voiceSeconds. Longer than
    /// the gaps inside a word: "ac-tually" and "sto-p" fall silent for 100-180 ms at the
    /// closure (at 100 ms the reply played on for ~180 ms, then the hold cut it again:
    /// barge-in stops at 220-260 ms in the turn-taking corpus instead of ~30).
    static constexpr int64_t kUnduckSilenceMs = 200;

private:
    void schedule(int64_t atMs);
    void emitTurnIfDue();
    void interrupt();
    void duck();
    void hold();
    void resume();
    void confirm();  // a held (or playing) reply is really interrupted
    // End of turn (pipeline/endpointing.h): the words so far, the wait they call for, and
    // the speculative model request on words that look finished.
    std::string candidate() const;  // pending_ + the partial after it
    EndpointDecision decide(const std::string& words) const;
    void updateSpeculation();
    void withdrawSpeculation();
    Shared& s_;
    bool ducking_ = false;           // Duck sent, neither Hold nor Unduck since
    std::string partial_;            // the latest partial after the last final
    std::string specText_;           // words the model was asked ahead on ("" none)
    int64_t specVoicedMs_ = -1;      // State::lastVoicedMs when it was asked
    std::string unfinished_;         // words last found unfinished (not asked again)
    std::string pending_;            // final user text not yet sent to the model
    int64_t turnAtMs_ = -1;          // when to emit UserTurn
    int64_t userStoppedAtMs_ = -1;
    int64_t speechStartedAtMs_ = -1; // for voiceSeconds during bot speech
    bool awaitingFinal_ = false;     // user stopped, final transcript not in yet
    bool interruptedThisTurn_ = false;
    bool holding_ = false;           // the output is held: interruption or not, to be decided
    bool heldThisSpeech_ = false;    // one hold per stretch of the caller's speech
    int64_t heldAtMs_ = -1;
    std::vector<std::string> lastPartial_;  // the previous partial's words (stability)
    std::chrono::steady_clock::time_point finalReadAt_{};  // of the last final in pending_
};

/// Streams the model's reply; keeps the conversation.
class LlmStage : public Stage {
public:
    LlmStage(Shared& s, std::unique_ptr<providers::LlmSession> llm);
    ~LlmStage() override;
    void process(Frame f) override;
    void respond();  // start a completion over the current conversation
    void cancel();

private:
    /// Asks the model on `words` as the caller's next message, its answer held (not sent
    /// on, not in the conversation) until a UserTurn with the same words releases it.
    void speculate(const std::string& words);
    void release();
    void request();  // the completion itself (respond() without the cancel)
    void deliver(Frame f);  // a model frame: on now, or held while speculating
    void finish(const providers::Usage& usage);
    Shared& s_;
    bool holding_ = false;            // the turn in flight is a speculation
    std::string specWords_;
    size_t specContext_ = 0;          // conversation size it was asked on
    bool specFailed_ = false;
    std::vector<Frame> held_;
    std::unique_ptr<providers::LlmSession> llm_;
    std::shared_ptr<providers::LlmTurn> turn_;
    std::shared_ptr<int> generation_ = std::make_shared<int>(0);
    std::string reply_;
    boost::json::array toolCalls_;
};

/// Cuts streamed text into sentences for TTS.
class SentenceStage : public Stage {
public:
    explicit SentenceStage(Shared& s) : s_(s) {}
    void process(Frame f) override;

private:
    void emit(std::string text, bool endCallAfter = false, bool interruptible = true);
    Shared& s_;
    std::string buffer_;
    bool replyStart_ = true;  // the next sentence opens a new reply
    /// The final transcript the model is answering (UserTurn::readAt), until the first
    /// sentence of the reply carries it on.
    std::chrono::steady_clock::time_point answering_{};
};

/// Synthesizes sentences; audio flows on as OutputAudio.
class TtsStage : public Stage {
public:
    TtsStage(Shared& s, std::unique_ptr<providers::TtsSession> tts);
    ~TtsStage() override;
    void process(Frame f) override;
    void onAudio(uint64_t id, audio::Samples pcm);
    void onDone(uint64_t id);
    void onError(uint64_t id, const std::string& e);

private:
    Shared& s_;
    std::unique_ptr<providers::TtsSession> tts_;
};

/// Paces synthesized audio out in real time, one 20 ms frame per tick; knows what has
/// actually been played, so an interruption can cut the transcript to it. A Hold pauses
/// it where it is (passed on only if something was playing), a Resume plays on from there.
class OutputStage : public Stage {
public:
    explicit OutputStage(Shared& s) : s_(s) {}
    void process(Frame f) override;
    void tick() override;

private:
    struct Utterance {
        uint64_t id;
        std::string text;
        bool endCallAfter = false;
        bool interruptible = true;
        audio::Samples pcm;     // synthesized so far
        size_t played = 0;      // samples already sent
        bool synthesized = false;  // UtteranceDone seen
        bool started = false;
        // Latency (pipeline.h): when the voice's audio made the first frame playable while
        // nothing played before it, and the final transcript this reply answers.
        std::chrono::steady_clock::time_point audioReadAt{}, finalReadAt{};
    };
    void firstFrameOut(const Utterance& u);
    Utterance* find(uint64_t id);
    Shared& s_;
    std::deque<Utterance> utterances_;
    bool speaking_ = false;
    bool held_ = false;  // Hold: paused mid-utterance, the position kept, until Resume
    int64_t duckedAtMs_ = -1;  // Duck: paused the same way, until Unduck, Resume, Interruption
                               // or kMaxDuckMs (a Hold meanwhile pauses it on its own)
    /// A duck outlives neither its sound nor this (voiceSeconds then holds it, or it ends).
    static constexpr int64_t kMaxDuckMs = 1000;
};

}  // namespace voxa::pipeline

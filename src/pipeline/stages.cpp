#include "pipeline/stages.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "audio/vad.h"
#include "common/metrics.h"
#include "common/text.h"
#include "net/read_time.h"
#include "pipeline/ended_reason.h"

namespace voxa::pipeline {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFrame = audio::kFrameSamples;
constexpr int kPrerollSamples = audio::kRate * 300 / 1000;  // audio kept before speech onset
constexpr double kMinVoiceLevel = 100;  // RMS (-50 dBFS): quieter frames are not voice
// End of turn (docs/turn-taking.md). Words that look finished (their wait at most
// kLikelyCompleteSeconds) end the VAD's utterance after kCompleteStopSeconds of silence
// instead of vadStopSeconds, and are sent to the model ahead after kSpeculateSilenceMs.
constexpr double kLikelyCompleteSeconds = 0.8;
constexpr double kCompleteStopSeconds = 0.2;
constexpr int64_t kSpeculateSilenceMs = 120;

int msToFrames(double seconds) { return std::max(1, static_cast<int>(seconds * 1000 / audio::kFrameMs + 0.5)); }

int countWords(std::string_view s) {
    int n = 0;
    bool in = false;
    for (char c : s) {
        bool w = std::isalnum(static_cast<unsigned char>(c)) || c == '\'';
        if (w && !in) ++n;
        in = w;
    }
    return n;
}

// ---- What the caller said over the assistant (stopSpeakingPlan) -------------------------
//
// Transcribers hear backchannels, coughs and noise as odd words: pocketsphinx makes "mm-hmm"
// "n m h and m" and "uh-huh" "i have" (both at a confidence of 0.05-0.07), a cough "if", "a"
// or "oh", a burst of pink noise "if" (measured on flite voices and sox noise). So a caller's
// words only count as words when they are not fillers, not a lone function word, and not a
// low-confidence guess.

using Words = std::vector<std::string>;

// Lower-case words without apostrophes ("Don't" -> "dont", as in Vapi's lists); hyphens and
// punctuation split words ("uh-huh" -> "uh huh"); "[noise]" and "<sil>" tags are dropped.
Words tokens(std::string_view s) {
    Words out;
    std::string w;
    char skipUntil = 0;
    auto flush = [&] {
        if (!w.empty()) out.push_back(std::exchange(w, {}));
    };
    for (char c : s) {
        if (skipUntil) {
            if (c == skipUntil) skipUntil = 0;
            continue;
        }
        if (c == '[' || c == '<') {
            flush();
            skipUntil = c == '[' ? ']' : '>';
        } else if (std::isalnum(static_cast<unsigned char>(c))) {
            w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        } else if (c != '\'') {
            flush();
        }
    }
    flush();
    // "all right" is how recognizers spell Vapi's "alright".
    for (size_t i = 0; i + 1 < out.size(); ++i)
        if (out[i] == "all" && out[i + 1] == "right") {
            out[i] = "alright";
            out.erase(out.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        }
    return out;
}

// Hesitations and non-words: never words of their own, and skipped between acknowledgements.
bool isFiller(const std::string& w) {
    static const std::set<std::string, std::less<>> kFillers{
        "uh", "um", "umm", "uhm", "hm", "hmm", "hmmm", "mm", "mmm", "mhm", "mhmm", "huh", "oh", "eh", "er", "erm", "ooh"};
    bool letter = w.size() == 1 && std::isalpha(static_cast<unsigned char>(w[0])) && w != "i";
    return letter || kFillers.count(w) > 0;
}

// Function words that, alone, are a recognizer's guess at a sound rather than a message.
bool isFunctionWord(const std::string& w) {
    static const std::set<std::string, std::less<>> kWords{
        "i",  "a",  "an", "the", "and", "or",   "if",   "of", "in",  "on",  "at",  "to",  "by",
        "for", "it", "its", "is", "that", "this", "as", "so", "he",  "she", "we",  "they", "you",
        "me", "my", "his", "her", "be", "do",   "was",  "are", "with", "from", "them", "us", "have"};
    return kWords.count(w) > 0;
}

// An acknowledgement phrase as matched: its fillers ("mm-hmm") are skipped anyway.
Words phraseWords(const std::string& p) {
    Words out;
    for (auto& w : tokens(p))
        if (!isFiller(w)) out.push_back(w);
    return out;
}

// Do ws[from..] consist of acknowledgement phrases one after another (fillers between)?
// `prefixOk`: the last one may be cut short (a partial still growing: "i" of "i see").
bool acknowledgementsFrom(const Words& ws, size_t from, const std::vector<Words>& acks, bool prefixOk) {
    while (from < ws.size() && isFiller(ws[from])) ++from;
    if (from == ws.size()) return true;
    for (auto& a : acks) {
        if (a.empty()) continue;
        size_t n = 0;
        while (n < a.size() && from + n < ws.size() && ws[from + n] == a[n]) ++n;
        if (n == a.size() && acknowledgementsFrom(ws, from + n, acks, prefixOk)) return true;
        if (prefixOk && n > 0 && from + n == ws.size()) return true;
    }
    return false;
}

bool contains(const Words& ws, const Words& phrase) {
    if (phrase.empty() || phrase.size() > ws.size()) return false;
    return std::search(ws.begin(), ws.end(), phrase.begin(), phrase.end()) != ws.end();
}

}  // namespace

Heard Heard::of(const Settings& set, std::string_view text, double confidence, bool partial, int64_t voicedMs) {
    // Below this a recognizer's guess is noise: pocketsphinx gives 0.002-0.09 for coughs,
    // "uh-huh" and "mm-hmm", and 0.14-0.76 for the words of real barge-ins (flite voices).
    constexpr double kMinConfidence = 0.1;
    Heard h;
    Words ws = tokens(text);
    std::vector<Words> acks;
    for (auto& p : set.acknowledgementPhrases) acks.push_back(phraseWords(p));
    // Backchannels are short; the bound also keeps the matching (a search) small.
    constexpr size_t kMaxAcknowledgementWords = 12;
    Words spoken;  // the words that are not fillers
    for (auto& w : ws)
        if (!isFiller(w)) spoken.push_back(w);
    bool anyWord = !spoken.empty();
    h.acknowledgement = anyWord && ws.size() <= kMaxAcknowledgementWords && acknowledgementsFrom(ws, 0, acks, partial);
    auto said = spoken.size();
    // (Only short guesses: real speech on an 8 kHz line comes back as several words at
    // 0.07, "when i'm around and read" for "wait a moment please".)
    // (Tried: keeping such guesses when they carry more than 0.7 s of voice, for phone
    // barge-ins like "wait a moment please" that come back as "the monthly" at 0.07. Slow
    // backchannels carry as much voice, and "mm-hmm" heard as "the king" then interrupted:
    // 2 of 12 in the turn-taking corpus. A short phone barge-in without an interruption
    // phrase is confirmed by 1.5 s of voice instead, or resumed.)
    if (confidence > 0 && confidence < kMinConfidence && said <= 2) return h;
    // As short as a backchannel and a few words the recognizer itself doubts: that is how
    // pocketsphinx hears "okay", "uh-huh" and "mm-hmm" when it hears them wrong ("but he he"
    // 0.13, "the heat" 0.10, "i'm not" 0.12, three words at 0.19 for a 0.76 s "mm-hmm"),
    // while the short words it hears right come at 0.28-0.76 ("okay", "right", "i see",
    // "wait"). Such a final stops nothing; a caller who goes on is confirmed by the partials
    // after kPartialWordsVoicedMs, or by kConfirmVoicedMs of voice.
    constexpr double kShortMinConfidence = 0.25;
    constexpr int64_t kShortVoicedMs = 1000;
    // (Three tokens, fillers and single letters included: a phone caller's "wait a moment
    // please" comes back right at 0.08-0.12 from 0.9 s of 8 kHz voice.)
    if (confidence > 0 && confidence < kShortMinConfidence && voicedMs > 0 && voicedMs < kShortVoicedMs &&
        ws.size() <= 3)
        return h;
    // More words than the voice could carry: a recognizer that has not yet adapted to the
    // line hears a 0.5 s "mm-hmm" as "and and made ten man" (confidence 0.18). People say
    // at most ~4 words a second; two more for the edges.
    if (voicedMs > 0) {
        if (static_cast<double>(said) > 2 + 4.0 * static_cast<double>(voicedMs) / 1000) return h;
    }
    for (auto& p : set.interruptionPhrases)
        if (contains(ws, tokens(p))) h.interruptionPhrase = true;
    // A word that opens a sentence and cannot end one ("but", "not", "hold", "actually":
    // the trigram model gives P(unfinished) >= 0.9, against 0.3-0.6 for "no", "wait",
    // "stop"), alone or with nothing but function words after it ("but she"), says nothing
    // yet: the words after it decide. From a short sound it is also how pocketsphinx hears
    // backchannels: "uh-huh" (AH HH AH) as "but" at 0.42-0.47, "i see" as "but she" at 0.44,
    // the ones of the turn corpus that stopped the assistant. A caller who stops there is
    // heard as a backchannel; one who goes on interrupts with the next real word.
    if (h.interruptionPhrase && voicedMs < kShortVoicedMs) {
        bool opener = !spoken.empty() && spoken.size() <= 3 &&
                      std::any_of(set.interruptionPhrases.begin(), set.interruptionPhrases.end(),
                                  [&](auto& p) { return tokens(p) == Words{spoken[0]}; }) &&
                      std::all_of(spoken.begin() + 1, spoken.end(), isFunctionWord);
        auto model = opener ? completionModel() : nullptr;
        if (model) {
            std::string words;
            for (auto& w : spoken) words += (words.empty() ? "" : " ") + w;
            if (model->probIncomplete(words) >= kOpenerIncomplete) return Heard{};
        }
    }
    int words = 0;
    bool content = false;
    for (auto& w : ws) {
        if (isFiller(w)) continue;
        ++words;
        content = content || !isFunctionWord(w);
    }
    h.words = content ? words : 0;
    return h;
}

bool Heard::interrupts(int numWords, bool partial) const {
    if (acknowledgement) return false;  // "never interrupt the assistant, even if numWords is met"
    if (interruptionPhrase) return true;
    // numWords 0: words decide together with the voice. A partial is still a guess, so it
    // takes two words that two partials agree on; a final takes one.
    return words >= std::max(numWords, partial ? 2 : 1);
}

namespace {

// Playback length of an utterance still being synthesized, from its text (~15 chars/s),
// so the part heard at a barge-in is not measured against only the audio received so far.
size_t estimatedSamples(const std::string& text) {
    return text.size() * audio::kRate / 15;
}

// What Voxa adds between a provider and the caller (pipeline.h). Fine below 5 ms, where
// Voxa's own share should be; up to 10 s for kind="transcriber", which includes the model.
prometheus::Histogram& providerToWire(const char* kind, const std::string& provider) {
    static const std::vector<double> kBuckets{0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003,
                                              0.004,  0.005,   0.0075, 0.01,    0.015, 0.02,   0.03,  0.05,
                                              0.075,  0.1,     0.25,   0.5,     1,     2.5,    5,     10};
    return metrics::histogram(
        "voxa_provider_to_wire_seconds",
        "From a provider's bytes read to the first 20 ms frame they led to handed to the caller's "
        "transport: kind=voice from an utterance's first audio (when nothing played before it), "
        "kind=transcriber from the final transcript ending a turn to the reply's first frame",
        {{"kind", kind}, {"provider", provider}}, kBuckets);
}

double secondsSince(Clock::time_point from, Clock::time_point now) {
    return std::max(0.0, std::chrono::duration<double>(now - from).count());
}

}  // namespace

// ---- VadStage ---------------------------------------------------------------------------

VadStage::VadStage(Shared& s, std::unique_ptr<audio::VoiceDetector> vad)
    : s_(s), vad_(std::move(vad)) {}
VadStage::~VadStage() = default;

void VadStage::process(Frame f) {
    if (f.kind != FrameKind::InputAudio) return push(std::move(f));
    // Transports may deliver any size: analyze in exact 20 ms frames.
    carry_.insert(carry_.end(), f.pcm.begin(), f.pcm.end());
    size_t off = 0;
    while (carry_.size() - off >= static_cast<size_t>(kFrame)) {
        analyze(std::span<const int16_t>(carry_.data() + off, kFrame));
        off += kFrame;
    }
    carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(off));
    push(std::move(f));
}

void VadStage::analyze(std::span<const int16_t> frame) {
    double energy = 0;
    for (int16_t v : frame) energy += double(v) * v;
    double level = std::sqrt(energy / double(frame.size()));
    // Below -50 dBFS nothing counts as voice (see below), so the VAD is not even asked:
    // most of a call is the caller listening, and that was a tenth of a call's CPU.
    // The assistant's own voice coming back (EchoStage's verdict on this frame) is not the
    // caller's.
    bool voiced = !s_.state.inputEcho && level >= kMinVoiceLevel && vad_ && vad_->isSpeech(frame);
    recent_.push_back(voiced);
    if (recent_.size() > 5) recent_.pop_front();
    if (!s_.state.userSpeaking) {
        // Onset: 3 of the last 5 frames voiced (60 ms); isolated clicks do not count.
        int n = static_cast<int>(std::count(recent_.begin(), recent_.end(), true));
        if (n >= 3) {
            s_.state.userSpeaking = true;
            s_.state.userVoicedMs = int64_t{n} * audio::kFrameMs;
            s_.state.lastVoicedMs = s_.state.nowMs;
            peakLevel_ = level;
            silentFrames_ = 0;
            push(Frame{.kind = FrameKind::UserStartedSpeaking});
        }
    } else {
        // WebRTC's VAD goes on saying "speech" for ~6 frames after a sound stops (its own
        // hangover), even over digital silence. Those frames are not the user's voice, so
        // voiced time (voiceSeconds) counts only frames within 26 dB of the loudest so far.
        // The same rule ends the utterance: the hangover frames count as silence, so the
        // turn is not held back ~120 ms after the caller has stopped.
        peakLevel_ = std::max(peakLevel_, level);
        bool voice = voiced && level >= std::max(kMinVoiceLevel, peakLevel_ * 0.05);
        if (voice) {
            s_.state.userVoicedMs += audio::kFrameMs;
            s_.state.lastVoicedMs = s_.state.nowMs;
        }
        silentFrames_ = voice ? 0 : silentFrames_ + 1;
        // Words that already look like a finished turn: stop (and so finalize) sooner.
        double stop = s_.settings.vadStopSeconds;
        if (s_.state.turnLooksComplete) stop = std::min(stop, kCompleteStopSeconds);
        if (silentFrames_ >= msToFrames(stop)) {
            s_.state.userSpeaking = false;
            push(Frame{.kind = FrameKind::UserStoppedSpeaking});
        }
    }
}

// ---- SttStage ---------------------------------------------------------------------------

SttStage::SttStage(Shared& s, std::unique_ptr<providers::SttSession> stt)
    : s_(s), stt_(std::move(stt)) {}
SttStage::~SttStage() {
    if (stt_) stt_->close();
}

void SttStage::process(Frame f) {
    switch (f.kind) {
        case FrameKind::InputAudio:
            if (stt_) stt_->sendCallerAudio(f.pcm);  // the whole call, for those that take it
            if (feeding_) {
                if (stt_) stt_->sendAudio(f.pcm);
            } else {
                // Trimmed only once it holds twice the pre-roll: shifting 300 ms of audio
                // on every silent frame was the largest copy in a call.
                preroll_.insert(preroll_.end(), f.pcm.begin(), f.pcm.end());
                if (preroll_.size() > 2 * static_cast<size_t>(kPrerollSamples)) trimPreroll();
            }
            return;  // audio ends here
        case FrameKind::UserStartedSpeaking:
            feeding_ = true;
            trimPreroll();
            if (stt_ && !preroll_.empty()) stt_->sendAudio(preroll_);
            preroll_.clear();
            break;
        case FrameKind::UserStoppedSpeaking:
            feeding_ = false;
            if (stt_) stt_->finalize();
            break;
        default: break;
    }
    push(std::move(f));
}

void SttStage::onAssistantAudio(std::span<const int16_t> pcm) {
    if (stt_) stt_->sendAssistantAudio(pcm);
}

void SttStage::trimPreroll() {
    if (preroll_.size() > static_cast<size_t>(kPrerollSamples))
        preroll_.erase(preroll_.begin(), preroll_.end() - kPrerollSamples);
}

void SttStage::onTranscript(const providers::Transcript& t) {
    push(Frame{.kind = FrameKind::Transcript, .text = t.text, .isFinal = t.isFinal, .confidence = t.confidence,
               .readAt = net::readTime()});
}

// ---- TurnStage --------------------------------------------------------------------------

void TurnStage::schedule(int64_t atMs) {
    // waitSeconds (Vapi: the least the assistant waits before speaking) counts from the
    // caller's last voiced frame, not from the VAD's stop that comes after it.
    int64_t from = s_.state.lastVoicedMs >= 0 ? s_.state.lastVoicedMs : userStoppedAtMs_;
    int64_t minAt = from + static_cast<int64_t>(s_.settings.waitSeconds * 1000);
    turnAtMs_ = std::max({atMs, minAt, s_.state.nowMs});
}

std::string TurnStage::candidate() const {
    if (partial_.empty()) return pending_;
    if (pending_.empty()) return partial_;
    return pending_ + ' ' + partial_;
}

EndpointDecision TurnStage::decide(const std::string& words) const {
    // customEndpointingRules of type assistant look at what the assistant said last.
    std::string_view assistantLast;
    for (size_t i = s_.conversation.size(); i-- > 0;) {
        auto* m = s_.conversation[i].if_object();
        if (!m || !m->contains("role") || m->at("role") != "assistant") continue;
        if (auto* c = m->if_contains("content"); c && c->is_string()) assistantLast = c->as_string();
        break;
    }
    return decideEndpoint(s_.settings, words, assistantLast);
}

void TurnStage::withdrawSpeculation() {
    if (specText_.empty()) return;
    specText_.clear();
    push(Frame{.kind = FrameKind::Speculate});
}

// Overlaps the endpointing wait with the model: once the caller has been quiet for
// kSpeculateSilenceMs on words that look finished, the model is asked on them; LlmStage
// holds the answer until the turn ends on the same words, and drops it when the caller
// goes on (any voiced frame after) or the words change.
void TurnStage::updateSpeculation() {
    auto& st = s_.state;
    // The caller went on (a voiced frame since it was asked) or the assistant speaks.
    if (!specText_.empty() && (st.lastVoicedMs != specVoicedMs_ || st.botSpeaking)) withdrawSpeculation();
    if (!s_.settings.speculate || st.botSpeaking || st.responding) return;
    if (pending_.empty() && partial_.empty()) return withdrawSpeculation();
    // Every tick of a call goes through here: nothing is built until the caller is quiet.
    if (st.lastVoicedMs < 0 || st.nowMs - st.lastVoicedMs < kSpeculateSilenceMs) return;
    std::string words = candidate();
    if (words == specText_ || words == unfinished_) return;
    if (decide(words).seconds > kLikelyCompleteSeconds) {
        unfinished_ = words;  // not asked again every tick
        return withdrawSpeculation();
    }
    specText_ = words;
    specVoicedMs_ = st.lastVoicedMs;
    spdlog::debug(R"({{"msg":"asking the model ahead","words":{},"sinceVoiceMs":{}}})",
                  json::serialize(json::value(words)), st.nowMs - st.lastVoicedMs);
    push(Frame{.kind = FrameKind::Speculate, .text = std::move(words)});
}

void TurnStage::interrupt() {
    interruptedThisTurn_ = true;
    holding_ = ducking_ = false;
    s_.state.userInterruptedAtMs = s_.state.nowMs;
    push(Frame{.kind = FrameKind::Interruption});
}

void TurnStage::duck() {
    spdlog::debug(R"({{"msg":"duck","atMs":{}}})", s_.state.nowMs);
    ducking_ = true;
    push(Frame{.kind = FrameKind::Duck});
}

void TurnStage::hold() {
    spdlog::debug(R"({{"msg":"hold","atMs":{},"voicedMs":{}}})", s_.state.nowMs, s_.state.userVoicedMs);
    ducking_ = false;
    holding_ = heldThisSpeech_ = true;
    heldAtMs_ = s_.state.nowMs;
    push(Frame{.kind = FrameKind::Hold});
}

void TurnStage::resume() {
    holding_ = ducking_ = false;
    push(Frame{.kind = FrameKind::Resume});
}

void TurnStage::confirm() { interrupt(); }

void TurnStage::process(Frame f) {
    auto& st = s_.state;
    auto& set = s_.settings;
    switch (f.kind) {
        case FrameKind::UserStartedSpeaking:
            turnAtMs_ = -1;  // the user goes on: not the end of the turn yet
            speechStartedAtMs_ = st.nowMs;
            heldThisSpeech_ = false;
            push(std::move(f));
            // Silent within a frame of the onset; voiceSeconds of voice then holds it (and
            // the words decide), a shorter sound plays it on from where it was.
            spdlog::debug(R"({{"msg":"caller onset","atMs":{},"botSpeaking":{},"interruptible":{},"holding":{}}})",
                          st.nowMs, st.botSpeaking, st.playingInterruptible, holding_);
            if (st.botSpeaking && st.playingInterruptible && !holding_) duck();
            withdrawSpeculation();
            return;
        case FrameKind::UserStoppedSpeaking:
            userStoppedAtMs_ = st.nowMs;
            speechStartedAtMs_ = -1;
            awaitingFinal_ = true;
            break;
        case FrameKind::Transcript: {
            std::string text = f.text;
            // Words over interruptible assistant audio (held or still playing) may stop it.
            bool overBot = st.botSpeaking && st.playingInterruptible;
            if (!f.isFinal) {
                // A partial is a guess that changes (pocketsphinx: "way", then "wait"): only
                // the words two partials in a row agree on count.
                auto words = tokens(text);
                size_t n = 0;
                while (n < words.size() && n < lastPartial_.size() && words[n] == lastPartial_[n]) ++n;
                std::string stable;
                for (size_t i = 0; i < n; ++i) stable += (i ? " " : "") + words[i];
                lastPartial_ = std::move(words);
                // Words without an interruption phrase wait for as much voice as a backchannel
                // never has: a cold recognizer's first "mm-hmm" settles on "and and made ten".
                Heard heard = Heard::of(set, stable, 0, true, st.userVoicedMs);
                bool enoughVoice = heard.interruptionPhrase || st.userVoicedMs >= kPartialWordsVoicedMs;
                if (overBot && enoughVoice && heard.interrupts(set.numWords, true)) {
                    spdlog::debug(R"({{"msg":"barge-in by partial","text":{},"voicedMs":{}}})",
                                  json::serialize(json::value(stable)), st.userVoicedMs);
                    confirm();
                }
                partial_ = text;
                st.turnLooksComplete = !st.botSpeaking && decide(candidate()).seconds <= kLikelyCompleteSeconds;
                break;
            }
            lastPartial_.clear();
            awaitingFinal_ = false;
            partial_.clear();
            if (st.botSpeaking) {
                // userVoicedMs: the voice of the utterance this final ends (VadStage).
                Heard heard = Heard::of(set, text, f.confidence, false, st.userVoicedMs);
                spdlog::debug(R"({{"msg":"barge-in final","text":{},"voicedMs":{},"confidence":{:.3f},"words":{},"ack":{},"phrase":{}}})",
                              json::serialize(json::value(text)), st.userVoicedMs, f.confidence, heard.words,
                              heard.acknowledgement, heard.interruptionPhrase);
                if (overBot && heard.interrupts(set.numWords)) {
                    confirm();  // and the words are the caller's turn (below)
                } else {
                    if (holding_) resume();
                    // "uh-huh", a cough, noise while the bot talks: it goes on, and the
                    // sound is no turn of the caller's.
                    if (heard.acknowledgement || heard.words == 0) break;
                }
            }
            finalReadAt_ = f.readAt;  // the turn, when it ends here, is answered from this one
            if (!text.empty()) {
                if (!pending_.empty()) pending_ += ' ';
                pending_ += text;
            }
            if (st.userSpeaking) break;
            if (pending_.empty()) {
                // A blip that never became words. If it cut the assistant off, let the
                // model pick up again instead of leaving the call silent.
                if (interruptedThisTurn_ && !st.botSpeaking) {
                    interruptedThisTurn_ = false;
                    push(std::move(f));  // the (empty) final first, then the turn it ends
                    push(Frame{.kind = FrameKind::UserTurn, .text = "", .readAt = std::exchange(finalReadAt_, {})});
                    return;
                }
                break;
            }
            // customEndpointingRules, else the completion model with the pause and the
            // punctuation, else transcriptionEndpointingPlan (pipeline/endpointing.h).
            auto d = decide(pending_);
            st.turnLooksComplete = d.seconds <= kLikelyCompleteSeconds;
            int64_t from = d.fromVoice && st.lastVoicedMs >= 0 ? st.lastVoicedMs : st.nowMs;
            schedule(from + static_cast<int64_t>(d.seconds * 1000));
            spdlog::debug(R"({{"msg":"end of turn","words":{},"by":{},"probIncomplete":{:.3f},"waitMs":{},"sinceVoiceMs":{},"turnInMs":{}}})",
                          json::serialize(json::value(pending_)), static_cast<int>(d.by), d.probIncomplete,
                          static_cast<int64_t>(d.seconds * 1000), st.nowMs - st.lastVoicedMs, turnAtMs_ - st.nowMs);
            push(std::move(f));
            // The words are final now: ask ahead on them (or on what they became).
            updateSpeculation();
            // A zero wait (e.g. onPunctuationSeconds 0) answers now, not at the next tick.
            emitTurnIfDue();
            return;
        }
        default: break;
    }
    push(std::move(f));
}

void TurnStage::checkBargeIn() {
    auto& st = s_.state;
    auto& set = s_.settings;
    if (holding_) {
        if (!st.botSpeaking) {  // cut meanwhile (a `say` that interrupts, the call ending)
            holding_ = false;
            return;
        }
        if (st.userSpeaking && st.userVoicedMs >= kConfirmVoicedMs) {
            // Talking on over the assistant is taking the floor, words or not yet. With
            // numWords > 0 only words may stop it: it talks on, as it would have.
            if (set.numWords == 0) {
                spdlog::debug(R"({{"msg":"barge-in by voice","voicedMs":{}}})", st.userVoicedMs);
                confirm();
            } else {
                resume();
            }
            return;
        }
        bool finalLate = !st.userSpeaking && userStoppedAtMs_ >= heldAtMs_ && st.nowMs - userStoppedAtMs_ >= kFinalWaitMs;
        if (finalLate || st.nowMs - heldAtMs_ >= kMaxHoldMs) resume();
        return;
    }
    // The user has talked over the bot long enough (voiceSeconds): hold it. What counts is
    // voiced audio, not time since onset: the VAD's hangover after a short noise burst
    // (userSpeaking stays true for vadStopSeconds) must not add up to voiceSeconds.
    if (st.botSpeaking && st.playingInterruptible && st.userSpeaking && speechStartedAtMs_ >= 0 &&
        !heldThisSpeech_ && st.userVoicedMs >= static_cast<int64_t>(set.voiceSeconds * 1000)) {
        hold();
        return;
    }
    if (ducking_ && (!st.botSpeaking || !st.userSpeaking || st.nowMs - st.lastVoicedMs >= kUnduckSilenceMs)) {
        ducking_ = false;
        spdlog::debug(R"({{"msg":"unduck","atMs":{},"voicedMs":{}}})", st.nowMs, st.userVoicedMs);
        push(Frame{.kind = FrameKind::Unduck});
    }
}

void TurnStage::tick() {
    checkBargeIn();
    updateSpeculation();
    emitTurnIfDue();
}

void TurnStage::emitTurnIfDue() {
    auto& st = s_.state;
    if (turnAtMs_ >= 0 && st.nowMs >= turnAtMs_ && !st.userSpeaking) {
        turnAtMs_ = -1;
        interruptedThisTurn_ = false;
        std::string text = std::move(pending_);
        pending_.clear();
        partial_.clear();
        specText_.clear();  // LlmStage releases the held answer if it was asked on `text`
        st.turnLooksComplete = false;
        push(Frame{.kind = FrameKind::UserTurn, .text = std::move(text), .readAt = std::exchange(finalReadAt_, {})});
    }
}

// ---- LlmStage ---------------------------------------------------------------------------

LlmStage::LlmStage(Shared& s, std::unique_ptr<providers::LlmSession> llm)
    : s_(s), llm_(std::move(llm)) {}
LlmStage::~LlmStage() { cancel(); }

void LlmStage::cancel() {
    ++*generation_;
    if (turn_) turn_->cancel();
    turn_.reset();
    s_.state.responding = false;
    reply_.clear();
    toolCalls_.clear();
    holding_ = false;
    specWords_.clear();
    specFailed_ = false;
    held_.clear();
}

void LlmStage::finish(const providers::Usage& usage) {
    json::object msg{{"role", "assistant"}, {"content", reply_}};
    if (!toolCalls_.empty()) msg["tool_calls"] = toolCalls_;
    if (!reply_.empty() || !toolCalls_.empty()) {
        s_.conversation.push_back(std::move(msg));
        s_.lastReplyIndex = static_cast<int64_t>(s_.conversation.size()) - 1;
    }
    reply_.clear();
    toolCalls_.clear();
    s_.state.responding = false;
    push(Frame{.kind = FrameKind::LlmDone, .usage = usage});
}

void LlmStage::deliver(Frame f) {
    if (holding_) return held_.push_back(std::move(f));
    if (f.kind == FrameKind::LlmDone) return finish(f.usage);
    if (f.kind == FrameKind::LlmError) s_.state.responding = false;
    push(std::move(f));
}

void LlmStage::respond() {
    if (!llm_) return;
    cancel();
    s_.state.responding = true;
    request();
}

void LlmStage::request() {
    providers::LlmRequest req;
    req.messages = s_.conversation;
    req.tools = s_.tools;
    int gen = *generation_;
    std::weak_ptr<int> alive = generation_;
    auto current = [alive, gen] {
        auto g = alive.lock();
        return g && *g == gen;
    };
    providers::LlmCallbacks cb;
    s_.state.modelLatencyMs = -1;
    cb.onText = [this, current, askedAt = s_.state.nowMs](const std::string& delta) {
        if (!current()) return;
        if (s_.state.modelLatencyMs < 0) s_.state.modelLatencyMs = s_.state.nowMs - askedAt;
        reply_ += delta;
        deliver(Frame{.kind = FrameKind::LlmText, .text = delta});
    };
    cb.onToolCall = [this, current](const providers::ToolCall& call) {
        if (!current()) return;
        json::object fn{{"name", call.name}, {"arguments", call.arguments}};
        toolCalls_.push_back(json::object{{"id", call.id}, {"type", "function"}, {"function", fn}});
        deliver(Frame{.kind = FrameKind::LlmToolCall, .toolCall = call});
    };
    cb.onDone = [this, current](const providers::Usage& usage) {
        if (!current()) return;
        turn_.reset();
        deliver(Frame{.kind = FrameKind::LlmDone, .usage = usage});
    };
    cb.onError = [this, current](const providers::ProviderError& e) {
        if (!current()) return;
        turn_.reset();
        if (holding_) {
            specFailed_ = true;  // the turn, when it ends, asks again (and fails in the open)
            return;
        }
        s_.state.responding = false;
        push(Frame{.kind = FrameKind::LlmError, .text = e.message,
                   .endedReason = modelEndedReason(s_.state.model, e)});
    };
    turn_ = llm_->complete(std::move(req), std::move(cb));
}

void LlmStage::speculate(const std::string& words) {
    if (!llm_) return;
    // The request is the conversation plus the words as the caller's message; the
    // conversation itself is untouched until the turn ends on those words.
    cancel();
    holding_ = true;  // before the request: a provider may call back inside complete()
    specWords_ = words;
    specContext_ = s_.conversation.size();
    s_.conversation.push_back(json::object{{"role", "user"}, {"content", words}});
    request();
    s_.conversation.erase(s_.conversation.end() - 1);
}

void LlmStage::release() {
    holding_ = false;
    specWords_.clear();
    s_.state.responding = true;
    auto frames = std::move(held_);
    held_.clear();
    bool done = false;
    for (auto& f : frames) {
        done = done || f.kind == FrameKind::LlmDone;
        deliver(std::move(f));
    }
    if (!done && !turn_) s_.state.responding = false;
}

void LlmStage::process(Frame f) {
    switch (f.kind) {
        case FrameKind::Speculate:
            if (f.text.empty()) {
                if (holding_) cancel();  // the caller went on: the answer is dropped unseen
            } else if (!s_.state.responding) {
                speculate(f.text);
            }
            return;  // TurnStage -> LlmStage only
        case FrameKind::UserTurn: {
            // A turn the model was asked on ahead, in the same context: its answer goes on.
            bool asked = holding_ && !specFailed_ && s_.conversation.size() == specContext_ &&
                         tokens(specWords_) == tokens(f.text);
            if (!f.text.empty())
                s_.conversation.push_back(json::object{{"role", "user"}, {"content", f.text}});
            push(std::move(f));
            if (asked) release();
            else respond();
            return;
        }
        case FrameKind::Interruption:
            // What the model had said so far is recorded from what was actually played
            // (UtteranceSpoken), so the partial reply is dropped here.
            cancel();
            break;
        default: break;
    }
    push(std::move(f));
}

// ---- SentenceStage ----------------------------------------------------------------------

void SentenceStage::emit(std::string text, bool endCallAfter, bool interruptible) {
    size_t b = text.find_first_not_of(" \t\n");
    if (b == std::string::npos) return;
    text = text.substr(b);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
    Frame out{.kind = FrameKind::TtsText, .text = std::move(text)};
    out.utterance = s_.state.nextUtterance++;
    out.endCallAfter = endCallAfter;
    out.interruptible = interruptible;
    out.replyStart = std::exchange(replyStart_, false);
    if (out.replyStart) out.readAt = std::exchange(answering_, {});
    push(std::move(out));
}

void SentenceStage::process(Frame f) {
    switch (f.kind) {
        case FrameKind::LlmText: {
            buffer_ += f.text;
            // Cut at sentence ends; a long clause is cut at a comma so TTS starts early.
            for (;;) {
                size_t cut = std::string::npos;
                for (size_t i = 0; i + 1 < buffer_.size(); ++i) {
                    char c = buffer_[i];
                    if ((c == '.' || c == '!' || c == '?' || c == '\n') &&
                        (buffer_[i + 1] == ' ' || buffer_[i + 1] == '\n')) {
                        // "e.g. " / "Dr. " style abbreviations are rare in speech; accept.
                        cut = i + 1;
                        break;
                    }
                }
                if (cut == std::string::npos && buffer_.size() > 160) {
                    size_t comma = buffer_.rfind(", ");
                    if (comma != std::string::npos && comma > 40) cut = comma + 1;
                }
                if (cut == std::string::npos) break;
                std::string sentence = buffer_.substr(0, cut);
                buffer_.erase(0, cut);
                emit(std::move(sentence));
            }
            push(std::move(f));
            return;
        }
        case FrameKind::LlmDone:
        case FrameKind::LlmToolCall:
        case FrameKind::LlmError:
            if (!buffer_.empty()) emit(std::exchange(buffer_, {}));
            replyStart_ = true;  // what the model says next is another message
            answering_ = {};     // (after a tool call, its answer: not timed from the transcript)
            break;
        case FrameKind::Speak:
            if (!buffer_.empty()) emit(std::exchange(buffer_, {}));
            answering_ = {};  // the reply now plays after this: not timed
            // A Speak is a message of its own, and so is whatever follows it.
            replyStart_ = true;
            // Whoever injects a Speak says whether it may be cut (state().interruptible);
            // the model's own sentences always may.
            if (!f.pcm.empty()) {
                // Audio to play as it is (DTMF tones): an utterance that skips synthesis.
                Frame out{.kind = FrameKind::TtsText, .pcm = f.pcm, .text = f.text};
                out.utterance = s_.state.nextUtterance++;
                out.endCallAfter = f.endCallAfter;
                out.interruptible = s_.state.interruptible;
                out.replyStart = true;
                push(std::move(out));
            } else {
                emit(f.text, f.endCallAfter, s_.state.interruptible);
            }
            replyStart_ = true;
            push(std::move(f));
            return;
        case FrameKind::Interruption:
        // A new turn: LlmStage::respond() cancels any reply still streaming, so its unfinished
        // sentence is stale (it used to be glued to the front of the next reply).
        case FrameKind::UserTurn:
            buffer_.clear();
            replyStart_ = true;
            answering_ = f.kind == FrameKind::UserTurn ? f.readAt : Clock::time_point{};
            break;
        default: break;
    }
    push(std::move(f));
}

// ---- TtsStage ---------------------------------------------------------------------------

TtsStage::TtsStage(Shared& s, std::unique_ptr<providers::TtsSession> tts)
    : s_(s), tts_(std::move(tts)) {}
TtsStage::~TtsStage() {
    if (tts_) tts_->close();
}

void TtsStage::process(Frame f) {
    if (f.kind == FrameKind::TtsText && !f.pcm.empty()) {
        // Ready-made audio (DTMF): straight to the output, after this frame queues it.
        uint64_t id = f.utterance;
        audio::Samples pcm = std::move(f.pcm);
        push(std::move(f));
        push(Frame{.kind = FrameKind::OutputAudio, .pcm = std::move(pcm), .utterance = id});  // untimed
        onDone(id);
        return;
    }
    if (f.kind == FrameKind::TtsText) {
        if (tts_) tts_->speak(f.utterance, validUtf8(f.text));  // JSON-safe for every voice
    } else if (f.kind == FrameKind::Interruption) {
        if (tts_) tts_->cancel();
    }
    push(std::move(f));
}

void TtsStage::onAudio(uint64_t id, audio::Samples pcm) {
    push(Frame{.kind = FrameKind::OutputAudio, .pcm = std::move(pcm), .utterance = id, .readAt = net::readTime()});
}
void TtsStage::onDone(uint64_t id) {
    push(Frame{.kind = FrameKind::UtteranceDone, .utterance = id});
}
void TtsStage::onError(uint64_t id, const std::string& e) {
    push(Frame{.kind = FrameKind::LlmError, .text = "voice: " + e, .utterance = id});
    onDone(id);
}

// ---- OutputStage ------------------------------------------------------------------------

OutputStage::Utterance* OutputStage::find(uint64_t id) {
    for (auto& u : utterances_)
        if (u.id == id) return &u;
    return nullptr;
}

void OutputStage::process(Frame f) {
    switch (f.kind) {
        case FrameKind::TtsText: {
            // From the frame, not state().interruptible: that used to be overwritten with the
            // playing utterance's flag, so everything queued behind an uninterruptible first
            // message (and so the rest of the call) became uninterruptible too.
            Utterance u{.id = f.utterance, .text = f.text, .endCallAfter = f.endCallAfter};
            u.interruptible = f.interruptible;
            u.finalReadAt = f.readAt;
            utterances_.push_back(std::move(u));
            break;
        }
        case FrameKind::OutputAudio:
            if (auto* u = find(f.utterance)) {
                bool couldPlay = u->pcm.size() - u->played >= size_t(kFrame);
                u->pcm.insert(u->pcm.end(), f.pcm.begin(), f.pcm.end());
                // Idle output (nothing playing, or TTS had fallen behind), this is next to play
                // and now has a whole frame (with a first chunk shorter than a frame, the one
                // that completes it): ask for a tick now instead of waiting for the clock.
                if (!couldPlay && u == &utterances_.front() && u->pcm.size() - u->played >= size_t(kFrame)) {
                    if (u->played == 0) u->audioReadAt = f.readAt;  // the voice's part ends here
                    s_.observer->onOutputReady();
                }
            }
            return;  // audio leaves through tick()
        case FrameKind::UtteranceDone:
            if (auto* u = find(f.utterance)) u->synthesized = true;
            break;
        case FrameKind::Hold:
            // Paused where it is; nothing playing: nothing to hold (and nothing to report).
            if (!speaking_ || held_) return;
            held_ = true;
            break;
        case FrameKind::Resume:
            duckedAtMs_ = -1;
            if (!held_) return;
            held_ = false;
            break;
        case FrameKind::Duck:
            if (speaking_ && !held_) duckedAtMs_ = s_.state.nowMs;
            return;
        case FrameKind::Unduck:
            duckedAtMs_ = -1;
            return;
        case FrameKind::Interruption: {
            // Drop everything queued at once; report what the caller actually heard.
            for (auto& u : utterances_) {
                if (!u.started) continue;
                size_t total = u.synthesized ? u.pcm.size()
                                             : std::max(u.pcm.size(), estimatedSamples(u.text));
                double frac = total == 0 ? 0 : double(u.played) / double(total);
                std::string heard;
                int words = countWords(u.text);
                int keep = static_cast<int>(words * frac + 0.5);
                int seen = 0;
                bool in = false;
                for (char c : u.text) {
                    bool w = std::isalnum(static_cast<unsigned char>(c)) || c == '\'';
                    if (w && !in) ++seen;
                    in = w;
                    if (seen > keep) break;
                    heard.push_back(c);
                }
                while (!heard.empty() && heard.back() == ' ') heard.pop_back();
                push(Frame{.kind = FrameKind::UtteranceSpoken, .text = heard, .isFinal = false,
                           .utterance = u.id});
            }
            utterances_.clear();
            held_ = false;
            duckedAtMs_ = -1;
            s_.state.playingInterruptible = true;
            if (speaking_) {
                speaking_ = false;
                s_.state.botSpeaking = false;
                push(std::move(f));
                push(Frame{.kind = FrameKind::BotStoppedSpeaking});
                return;
            }
            break;
        }
        default: break;
    }
    push(std::move(f));
}

void OutputStage::tick() {
    if (held_) return;  // the caller may be barging in: not a sample until decided
    if (duckedAtMs_ >= 0) {
        if (s_.state.nowMs - duckedAtMs_ < kMaxDuckMs) return;
        duckedAtMs_ = -1;
    }
    // Finished utterances leave the queue (in order) as they complete.
    while (!utterances_.empty()) {
        auto& u = utterances_.front();
        if (!(u.synthesized && u.played >= u.pcm.size())) break;
        Utterance done = std::move(u);
        utterances_.pop_front();
        if (done.started || done.pcm.empty())
            push(Frame{.kind = FrameKind::UtteranceSpoken, .text = done.text, .isFinal = true,
                       .utterance = done.id, .endCallAfter = done.endCallAfter});
    }
    if (utterances_.empty() || utterances_.front().played >= utterances_.front().pcm.size()) {
        if (speaking_ && utterances_.empty()) {
            speaking_ = false;
            s_.state.botSpeaking = false;
            s_.state.playingInterruptible = true;
            push(Frame{.kind = FrameKind::BotStoppedSpeaking});
        }
        return;  // nothing to play now (idle, or TTS behind: an underrun)
    }
    auto& u = utterances_.front();
    if (!u.started && s_.state.userInterruptedAtMs >= 0 &&
        s_.state.nowMs < s_.state.userInterruptedAtMs + static_cast<int64_t>(s_.settings.backoffSeconds * 1000)) {
        // stopSpeakingPlan.backoffSeconds: the assistant starts talking again no sooner
        // than this after the caller interrupted it. (A wait, not the voice's latency.)
        u.audioReadAt = {};
        return;
    }
    if (!u.started) {
        u.started = true;
        s_.state.playingInterruptible = u.interruptible;
        push(Frame{.kind = FrameKind::BotStartedSpeaking, .text = u.text, .utterance = u.id});
    }
    if (!speaking_) {
        speaking_ = true;
        s_.state.botSpeaking = true;
    }
    size_t n = std::min<size_t>(kFrame, u.pcm.size() - u.played);
    bool first = u.played == 0;
    if (n == static_cast<size_t>(kFrame)) {
        s_.observer->onOutputFrame(std::span<const int16_t>(u.pcm.data() + u.played, n), false);
    } else {
        // The tail of an utterance: pad to a whole frame with silence.
        int16_t frame[kFrame] = {};
        std::copy_n(u.pcm.data() + u.played, n, frame);
        if (!u.synthesized) return;  // wait for more audio rather than pad mid-utterance
        s_.observer->onOutputFrame(std::span<const int16_t>(frame, kFrame), false);
    }
    u.played += n;
    if (first) firstFrameOut(u);
}

void OutputStage::firstFrameOut(const Utterance& u) {
    constexpr Clock::time_point kUnset{};
    if (u.audioReadAt == kUnset && u.finalReadAt == kUnset) return;
    auto now = Clock::now();
    if (u.audioReadAt != kUnset) providerToWire("voice", s_.state.voice).Observe(secondsSince(u.audioReadAt, now));
    if (u.finalReadAt != kUnset)
        providerToWire("transcriber", s_.state.transcriber).Observe(secondsSince(u.finalReadAt, now));
}

}  // namespace voxa::pipeline

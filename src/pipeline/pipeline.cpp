#include "pipeline/pipeline.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "audio/silero.h"
#include "audio/vad.h"
#include "common/json_fields.h"
#include "pipeline/echo_stage.h"
#include "pipeline/ended_reason.h"
#include "pipeline/endpointing.h"
#include "pipeline/stages.h"
#include "providers/fallback.h"

namespace voxa::pipeline {

namespace json = boost::json;
using json_fields::num;
using json_fields::obj;
using json_fields::provider;

const char* toString(FrameKind k) {
    switch (k) {
        case FrameKind::InputAudio: return "InputAudio";
        case FrameKind::UserStartedSpeaking: return "UserStartedSpeaking";
        case FrameKind::UserStoppedSpeaking: return "UserStoppedSpeaking";
        case FrameKind::Transcript: return "Transcript";
        case FrameKind::UserTurn: return "UserTurn";
        case FrameKind::Interruption: return "Interruption";
        case FrameKind::Hold: return "Hold";
        case FrameKind::Resume: return "Resume";
        case FrameKind::Duck: return "Duck";
        case FrameKind::Unduck: return "Unduck";
        case FrameKind::Speak: return "Speak";
        case FrameKind::LlmText: return "LlmText";
        case FrameKind::LlmToolCall: return "LlmToolCall";
        case FrameKind::LlmDone: return "LlmDone";
        case FrameKind::LlmError: return "LlmError";
        case FrameKind::TtsText: return "TtsText";
        case FrameKind::OutputAudio: return "OutputAudio";
        case FrameKind::UtteranceDone: return "UtteranceDone";
        case FrameKind::BotStartedSpeaking: return "BotStartedSpeaking";
        case FrameKind::BotStoppedSpeaking: return "BotStoppedSpeaking";
        case FrameKind::UtteranceSpoken: return "UtteranceSpoken";
        case FrameKind::Speculate: return "Speculate";
    }
    return "?";
}

// A list of strings if `key` holds one (an empty list stays empty), else `fallback`.
static std::vector<std::string> strings(const json::object& o, const char* key, std::vector<std::string> fallback) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_array()) return fallback;
    std::vector<std::string> out;
    for (auto& e : v->as_array())
        if (e.is_string()) out.emplace_back(e.as_string());
    return out;
}

Settings settingsFrom(const json::object& a) {
    Settings s;
    if (auto* p = obj(a, "startSpeakingPlan")) {
        s.waitSeconds = num(*p, "waitSeconds", s.waitSeconds);
        if (auto* t = obj(*p, "transcriptionEndpointingPlan")) {
            s.onPunctuationSeconds = num(*t, "onPunctuationSeconds", s.onPunctuationSeconds);
            s.onNoPunctuationSeconds = num(*t, "onNoPunctuationSeconds", s.onNoPunctuationSeconds);
            s.onNumberSeconds = num(*t, "onNumberSeconds", s.onNumberSeconds);
        }
    }
    if (auto* p = obj(a, "stopSpeakingPlan")) {
        s.numWords = static_cast<int>(num(*p, "numWords", s.numWords));
        s.voiceSeconds = num(*p, "voiceSeconds", s.voiceSeconds);
        s.backoffSeconds = num(*p, "backoffSeconds", s.backoffSeconds);
        s.interruptionPhrases = strings(*p, "interruptionPhrases", std::move(s.interruptionPhrases));
        s.acknowledgementPhrases = strings(*p, "acknowledgementPhrases", std::move(s.acknowledgementPhrases));
    }
    if (auto* v = a.if_contains("firstMessageInterruptionsEnabled"); v && v->is_bool())
        s.firstMessageInterruptionsEnabled = v->as_bool();
    s.transcriberPunctuates = provider(a, "transcriber", "local") != "local";
    std::vector<std::string> warnings;
    s.endpointing = endpointingPlanFrom(obj(a, "startSpeakingPlan"), s.transcriberPunctuates, &warnings);
    for (auto& w : warnings) spdlog::warn(R"({{"msg":"startSpeakingPlan: {}"}})", w);
    return s;
}

namespace {
const audio::Samples kQuietFrame(audio::kFrameSamples, 0);

/// Hands the output to the call's observer and each played frame to the transcriber too
/// (SttSession::sendAssistantAudio: transcribers that hear both sides).
class OutputTap : public Observer {
public:
    Observer* to = nullptr;
    SttStage* stt = nullptr;
    EchoStage* echo = nullptr;  // the reference for echo cancellation
    bool played = false;  // a frame went out in this tick
    void onFrame(const Frame& f) override { to->onFrame(f); }
    void onOutputFrame(std::span<const int16_t> pcm, bool silence) override {
        played = true;
        to->onOutputFrame(pcm, silence);
        if (echo) echo->onPlayed(pcm, silence);
        if (stt) stt->onAssistantAudio(silence ? std::span<const int16_t>(kQuietFrame) : pcm);
    }
    void onOutputReady() override { to->onOutputReady(); }
};
}  // namespace

struct Pipeline::Impl {
    PipelineConfig cfg;
    OutputTap tap;
    Shared shared;
    std::unique_ptr<EchoStage> echo;
    std::unique_ptr<VadStage> vad;
    std::unique_ptr<SttStage> stt;
    std::unique_ptr<TurnStage> turn;
    std::unique_ptr<LlmStage> llm;
    std::unique_ptr<SentenceStage> sentence;
    std::unique_ptr<TtsStage> tts;
    std::unique_ptr<OutputStage> output;
    std::unique_ptr<Stage> tail;  // hands frames to the observer
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

namespace {
class ObserverStage : public Stage {
public:
    explicit ObserverStage(Observer& o) : o_(o) {}
    void process(Frame f) override { o_.onFrame(f); }

private:
    Observer& o_;
};
}  // namespace

Pipeline::Pipeline(PipelineConfig cfg, Observer& observer) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = std::move(cfg);
    impl_->tap.to = &observer;
    impl_->shared.observer = &impl_->tap;
    impl_->shared.settings = settingsFrom(impl_->cfg.assistant);
    impl_->tail = std::make_unique<ObserverStage>(observer);

    // The model's context: the assistant's configured messages, then the tools.
    if (auto* m = obj(impl_->cfg.assistant, "model")) {
        if (auto* msgs = m->if_contains("messages"); msgs && msgs->is_array())
            for (auto& e : msgs->as_array())
                if (e.is_object()) impl_->shared.conversation.push_back(e);
        if (auto* tools = m->if_contains("tools"); tools && tools->is_array())
            for (auto& t : tools->as_array()) {
                if (!t.is_object()) continue;
                auto& to = t.as_object();
                auto* type = to.if_contains("type");
                if (type && *type == "function" && to.contains("function"))
                    impl_->shared.tools.push_back(
                        json::object{{"type", "function"}, {"function", to.at("function")}});
                else if (type && *type == "apiRequest") {
                    // An HTTP request the model may make: its arguments are the body schema.
                    json::object fn{{"name", to.contains("name") ? to.at("name") : json::value("apiRequest")},
                                    {"description", to.contains("description") ? to.at("description") : json::value("")},
                                    {"parameters", to.contains("body") && to.at("body").is_object()
                                                       ? to.at("body")
                                                       : json::value(json::object{{"type", "object"}, {"properties", json::object{}}})}};
                    impl_->shared.tools.push_back(json::object{{"type", "function"}, {"function", fn}});
                } else if (type && type->is_string()) {
                    // Built-in tools are offered to the model as functions by their type.
                    std::string name(type->as_string());
                    json::object fn{{"name", name},
                                    {"description", name == "endCall"
                                                        ? "End the call when the conversation is over."
                                                        : "Built-in tool " + name},
                                    {"parameters", json::object{{"type", "object"},
                                                                {"properties", json::object{}}}}};
                    if (name == "dtmf") {
                        fn["description"] = "Press keys on the phone keypad (DTMF), e.g. to navigate a menu.";
                        fn["parameters"] = json::object{
                            {"type", "object"},
                            {"properties", json::object{{"digits", json::object{
                                {"type", "string"},
                                {"description", "Keys to press: 0-9, *, #, A-D; w waits half a second"}}}}},
                            {"required", json::array{"digits"}}};
                    }
                    if (auto* ds = to.if_contains("destinations");
                        name == "transferCall" && ds && ds->is_array() && !ds->as_array().empty()) {
                        // The model picks a destination by its number, SIP URI or name.
                        json::array ids;
                        std::string list;
                        for (auto& d : ds->as_array()) {
                            if (!d.is_object()) continue;
                            auto& dob = d.as_object();
                            for (auto* k : {"number", "sipUri", "assistantName"})
                                if (auto* v = dob.if_contains(k); v && v->is_string()) {
                                    ids.push_back(*v);
                                    list += "\n- " + std::string(v->as_string());
                                    if (auto* desc = dob.if_contains("description"); desc && desc->is_string())
                                        list += ": " + std::string(desc->as_string());
                                }
                        }
                        fn["description"] = "Transfer the call to one of these destinations:" + list;
                        fn["parameters"] = json::object{
                            {"type", "object"},
                            {"properties", json::object{{"destination", json::object{{"type", "string"}, {"enum", ids}}}}},
                            {"required", json::array{"destination"}}};
                    }
                    if (auto* f = to.if_contains("function"); f && f->is_object()) fn = f->as_object();
                    impl_->shared.tools.push_back(json::object{{"type", "function"}, {"function", fn}});
                }
            }
        if (auto* fns = m->if_contains("functions"); fns && fns->is_array())  // legacy
            for (auto& f : fns->as_array())
                if (f.is_object())
                    impl_->shared.tools.push_back(json::object{{"type", "function"}, {"function", f}});
    }
}

Pipeline::~Pipeline() { stop(); }

std::optional<std::string> Pipeline::start() {
    auto& im = *impl_;
    auto& reg = providers::Registry::instance();
    auto& a = im.cfg.assistant;
    static const json::object kEmpty;
    auto cfgOf = [&](const char* key) -> const json::object& {
        auto* o = obj(a, key);
        return o ? *o : kEmpty;
    };
    std::string sttName = provider(a, "transcriber", "local");
    std::string ttsName = provider(a, "voice", "local");
    std::string llmName = provider(a, "model", "local");
    auto* sttP = reg.stt(sttName);
    auto* ttsP = reg.tts(ttsName);
    auto* llmP = reg.llm(llmName);
    // POST /call refuses these (Registry::unavailable); a squad handoff re-checks here.
    if (!sttP) return endedReason(Failed::Transcriber, sttName) + ": unsupported transcriber provider " + sttName;
    if (!ttsP) return endedReason(Failed::Voice, ttsName) + ": unsupported voice provider " + ttsName;
    if (!llmP) return endedReason(Failed::Model, llmName) + ": unsupported model provider " + llmName;

    std::weak_ptr<bool> alive = im.alive;
    im.echo = std::make_unique<EchoStage>(im.shared);
    im.vad = std::make_unique<VadStage>(im.shared, audio::makeVoiceDetector(im.shared.settings.vadMode));
    im.turn = std::make_unique<TurnStage>(im.shared);
    im.sentence = std::make_unique<SentenceStage>(im.shared);
    im.output = std::make_unique<OutputStage>(im.shared);

    // Each session is a chain: the primary and its fallbackPlan entries (providers/fallback.h).
    providers::SttCallbacks scb;
    scb.onTranscript = [this, alive](const providers::Transcript& t) {
        if (alive.lock() && impl_->stt) impl_->stt->onTranscript(t);
    };
    scb.onError = [this, alive](const providers::ProviderError& e) {
        if (!alive.lock()) return;
        const std::string& name = impl_->shared.state.transcriber;
        Frame f{.kind = FrameKind::LlmError, .text = "transcriber: " + name + ": " + e.message};
        if (e.fatal) f.endedReason = endedReason(Failed::Transcriber, name, e.cause);
        impl_->turn->process(std::move(f));
    };
    providers::FallbackStt::Options sopt;
    sopt.onServing = [this, alive](const providers::Serving& s) {
        if (alive.lock()) impl_->shared.state.transcriber = s.provider;
    };
    im.stt = std::make_unique<SttStage>(
        im.shared, std::make_unique<providers::FallbackStt>(providers::sttChain(cfgOf("transcriber")),
                                                            im.cfg.providerCtx, scb, std::move(sopt)));

    providers::TtsCallbacks tcb;
    tcb.onAudio = [this, alive](uint64_t id, audio::Samples pcm) {
        if (alive.lock() && impl_->tts) impl_->tts->onAudio(id, std::move(pcm));
    };
    tcb.onDone = [this, alive](uint64_t id) {
        if (alive.lock() && impl_->tts) impl_->tts->onDone(id);
    };
    tcb.onError = [this, alive](uint64_t id, const std::string& e) {
        if (alive.lock() && impl_->tts) impl_->tts->onError(id, e);
    };
    tcb.onFailure = [this, alive](const providers::ProviderError& e) {
        if (!alive.lock() || !impl_->output) return;
        const std::string& name = impl_->shared.state.voice;
        impl_->output->process(Frame{.kind = FrameKind::LlmError, .text = "voice: " + name + ": " + e.message,
                                     .endedReason = endedReason(Failed::Voice, name, e.cause)});
    };
    providers::FallbackTts::Options topt;
    topt.onServing = [this, alive](const providers::Serving& s) {
        if (alive.lock()) impl_->shared.state.voice = s.provider;
    };
    im.tts = std::make_unique<TtsStage>(
        im.shared, std::make_unique<providers::FallbackTts>(providers::ttsChain(cfgOf("voice")),
                                                            im.cfg.providerCtx, tcb, std::move(topt)));
    // The model and its fallbackModels: onError of a turn comes from the last entry tried,
    // after State::model names it (so the endedReason names that provider).
    providers::FallbackLlm::Options lopt;
    lopt.onServing = [this, alive](const providers::Serving& s) {
        if (!alive.lock()) return;
        auto& st = impl_->shared.state;
        if (!s.failed.empty())
            st.modelSwitches.push_back(json::object{{"from", json::object{{"provider", st.model}, {"model", st.modelName}}},
                                                    {"to", json::object{{"provider", s.provider}, {"model", s.model}}},
                                                    {"cause", providers::toString(s.why.cause)},
                                                    {"status", s.why.status},
                                                    {"detail", s.why.message.substr(0, 300)}});
        st.model = s.provider;
        st.modelName = s.model;
    };
    im.shared.state.model = llmName;
    im.llm = std::make_unique<LlmStage>(
        im.shared, std::make_unique<providers::FallbackLlm>(providers::llmChain(cfgOf("model")),
                                                            im.cfg.providerCtx, std::move(lopt)));

    im.tap.stt = im.stt.get();
    im.tap.echo = im.echo.get();
    im.echo->setNext(im.vad.get());
    im.vad->setNext(im.stt.get());
    im.stt->setNext(im.turn.get());
    im.turn->setNext(im.llm.get());
    im.llm->setNext(im.sentence.get());
    im.sentence->setNext(im.tts.get());
    im.tts->setNext(im.output.get());
    im.output->setNext(im.tail.get());
    return std::nullopt;
}

void Pipeline::pushAudio(std::span<const int16_t> pcm) {
    if (!impl_->echo) return;
    impl_->echo->process(Frame{.kind = FrameKind::InputAudio, .pcm = audio::Samples(pcm.begin(), pcm.end())});
    // Barge-in is decided on the frame that completes voiceSeconds, not at the next tick.
    if (impl_->turn) impl_->turn->checkBargeIn();
}

void Pipeline::inject(Frame f) {
    if (impl_->llm) impl_->llm->process(std::move(f));
}

void Pipeline::interrupt() {
    if (impl_->llm) impl_->llm->process(Frame{.kind = FrameKind::Interruption});
}

void Pipeline::advanceClockTo(int64_t ms) {
    auto& now = impl_->shared.state.nowMs;
    now = std::max(now, ms);
}

void Pipeline::tick() {
    auto& im = *impl_;
    im.shared.state.nowMs += audio::kFrameMs;
    if (im.turn) im.turn->tick();
    im.tap.played = false;
    if (im.output) im.output->tick();
    // The assistant is quiet: its channel goes on with silence.
    if (!im.tap.played && im.stt) im.stt->onAssistantAudio(kQuietFrame);
    if (!im.tap.played && im.echo) im.echo->onPlayed(kQuietFrame, true);
}

std::string Pipeline::unansweredWords() const {
    return impl_->turn ? impl_->turn->pendingWords() : std::string();
}

void Pipeline::addMessage(json::object message) {
    auto& sh = impl_->shared;
    bool assistant = message.contains("role") && message.at("role") == "assistant";
    sh.conversation.push_back(std::move(message));
    // An assistant line (e.g. the first message) is what a barge-in would cut.
    if (assistant) sh.lastReplyIndex = static_cast<int64_t>(sh.conversation.size()) - 1;
}

void Pipeline::recordInterruptedReply(const std::string& heard) {
    auto& sh = impl_->shared;
    auto idx = sh.lastReplyIndex;
    if (idx >= 0 && idx == static_cast<int64_t>(sh.conversation.size()) - 1) {
        auto& msg = sh.conversation[static_cast<size_t>(idx)].as_object();
        if (!msg.contains("tool_calls")) {
            msg["content"] = heard;
            sh.lastReplyIndex = -1;
            return;
        }
    }
    if (!heard.empty())
        sh.conversation.push_back(json::object{{"role", "assistant"}, {"content", heard}});
    sh.lastReplyIndex = -1;
}

void Pipeline::addToolResult(const std::string& toolCallId, const std::string& name,
                             const std::string& result, bool respond) {
    impl_->shared.conversation.push_back(json::object{
        {"role", "tool"}, {"tool_call_id", toolCallId}, {"name", name}, {"content", result}});
    if (respond && impl_->llm) impl_->llm->respond();
}

const json::array& Pipeline::conversation() const { return impl_->shared.conversation; }
State& Pipeline::state() { return impl_->shared.state; }
const Settings& Pipeline::settings() const { return impl_->shared.settings; }

void Pipeline::stop() {
    if (!impl_) return;
    *impl_->alive = false;
    impl_->alive = std::make_shared<bool>(false);
    if (impl_->llm) impl_->llm->cancel();
}

}  // namespace voxa::pipeline

#include "call/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "audio/dtmf.h"
#include "call/analysis.h"
#include "call/lease.h"
#include "call/pricing.h"
#include "call/twilio.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/metrics.h"
#include "common/offload.h"
#include "common/time.h"
#include "common/url.h"
#include "net/http_client.h"
#include "pipeline/ended_reason.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;
using pipeline::FrameKind;
using json_fields::num;
using json_fields::str;

namespace {

// Vapi's default clientMessages.
const char* kDefaultClientMessages[] = {
    "conversation-update", "function-call", "hang",       "model-output",
    "speech-update",       "status-update", "transfer-update", "transcript",
    "tool-calls",          "user-interrupted", "voice-input", "workflow.node.started",
    "assistant.started"};

}  // namespace

std::string transcriptText(const json::array& messages) {
    std::string transcript;
    for (auto& m : messages) {
        auto& o = m.as_object();
        std::string role = str(o, "role");
        if (role == "bot") transcript += "AI: " + str(o, "message") + "\n";
        else if (role == "user") transcript += "User: " + str(o, "message") + "\n";
    }
    return transcript;
}

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// The caller line's native rate: phone calls (Twilio media streams) are 8 kHz mu-law; a
/// WebSocket call says its rate in transport.audioFormat.
int callerLineRate(const json::object& record) {
    if (!str(record, "phoneCallProvider").empty()) return 8000;
    if (auto* t = record.if_contains("transport"); t && t->is_object())
        if (auto* af = t->as_object().if_contains("audioFormat"); af && af->is_object())
            if (auto* r = af->as_object().if_contains("sampleRate"); r && r->is_number())
                return static_cast<int>(r->to_number<double>());
    return audio::kRate;
}

}  // namespace

void applyVariables(json::value& v, const json::object& vars) {
    if (v.is_string()) {
        std::string s(v.as_string());
        if (s.find("{{") == std::string::npos) return;
        std::string out;
        size_t i = 0;
        while (i < s.size()) {
            size_t open = s.find("{{", i);
            if (open == std::string::npos) {
                out.append(s, i, std::string::npos);
                break;
            }
            size_t close = s.find("}}", open + 2);
            if (close == std::string::npos) {
                out.append(s, i, std::string::npos);
                break;
            }
            out.append(s, i, open - i);
            std::string name = s.substr(open + 2, close - open - 2);
            name.erase(0, name.find_first_not_of(' '));
            name.erase(name.find_last_not_of(' ') + 1);
            // Liquid renders an unknown variable as empty; a filter ("x | date") is not
            // supported and leaves the expression's variable value.
            std::string var = name.substr(0, name.find('|'));
            var.erase(var.find_last_not_of(' ') + 1);
            if (auto* val = vars.if_contains(var)) {
                if (val->is_string()) out += val->as_string();
                else out += json::serialize(*val);
            }
            i = close + 2;
        }
        v = out;
    } else if (v.is_object()) {
        for (auto& kv : v.as_object()) applyVariables(kv.value(), vars);
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) applyVariables(e, vars);
    }
}

CallSession::CallSession(CallManager& mgr, json::object record, CallSetup setup,
                         std::shared_ptr<TransportSink> sink, asio::any_io_executor ex)
    : mgr_(mgr),
      record_(std::move(record)),
      assistant_(std::move(setup.assistant)),
      monitorSecret_(std::move(setup.monitorSecret)),
      slot_(std::move(setup.slot)),
      squad_(std::move(setup.squad)),
      phoneNumber_(std::move(setup.phoneNumber)),
      telephony_(std::move(setup.telephony)),
      serverCtx_(std::move(setup.server)),
      sink_(std::move(sink)),
      ex_(std::move(ex)),
      endedMessage_(setup.refusal ? setup.refusal->message : std::string()),
      refusal_(std::move(setup.refusal)) {
    id_ = str(record_, "id");
    orgId_ = str(record_, "orgId");
    if (auto* mp = assistant_.if_contains("monitorPlan")) monitorSource_["monitorPlan"] = *mp;
    if (!squad_.empty()) memberName_ = str(squad_.front().as_object(), "name");
    configureFromAssistant();
    mgr_.sessionOpened();  // until finish() is done with the record and the report
}

providers::Context CallSession::providerContext() const {
    providers::Context pctx;
    pctx.executor = ex_;
    pctx.compute = &mgr_.compute();
    pctx.stopping = &mgr_.stopping();
    pctx.callId = id_;
    pctx.callerRate = callerLineRate(record_);
    pctx.credentials = serverCtx_.providers;
    // A scripted model's keywords: what its callers are expected to say (local/vocabulary.h).
    if (auto* m = assistant_.if_contains("model"); m && m->is_object() && str(m->get_object(), "provider") == "local") {
        if (auto* rules = m->get_object().if_contains("rules"); rules && rules->is_array()) {
            for (auto& r : rules->get_array()) {
                if (!r.is_object()) continue;
                for (const char* k : {"match", "all"}) {
                    auto* list = r.get_object().if_contains(k);
                    if (!list || !list->is_array()) continue;
                    for (auto& e : list->get_array())
                        if (e.is_string()) pctx.expectedPhrases.emplace_back(e.get_string());
                }
            }
        }
    }
    // custom-voice posts to the customer's server as the webhooks do (body and headers).
    std::weak_ptr<const CallSession> weak = weak_from_this();
    pctx.serverRequest = [weak](const json::object& server, const std::string& type, json::object fields) {
        providers::ServerRequest r;
        auto self = weak.lock();
        if (!self) return r;
        json::value sv = server;
        auto target = webhooks::targetFrom(&sv, self->serverCtx_.credentials);
        r.url = target.url;
        r.timeoutSeconds = target.timeoutSeconds;
        r.body = self->serverBody(type, std::move(fields), false);
        r.headers = webhooks::requestHeaders(target, r.body, type + "-" + self->id_ + "-" + std::to_string(epochMs()),
                                             epochMs());
        return r;
    };
    return pctx;
}

void CallSession::configureFromAssistant() {
    clientMessages_.clear();
    serverMessages_.clear();
    tools_.clear();
    endCallPhrases_.clear();
    idleMessages_.clear();
    idleTimeoutSec_ = 0;
    if (auto* cm = assistant_.if_contains("clientMessages"); cm && cm->is_array()) {
        for (auto& m : cm->as_array())
            if (m.is_string()) clientMessages_.insert(std::string(m.as_string()));
    } else {
        for (auto* m : kDefaultClientMessages) clientMessages_.insert(m);
    }
    if (auto* sm = assistant_.if_contains("serverMessages"); sm && sm->is_array()) {
        for (auto& m : sm->as_array())
            if (m.is_string()) serverMessages_.insert(std::string(m.as_string()));
    } else {
        for (auto* m : defaultServerMessages()) serverMessages_.insert(m);
    }
    server_ = serverTarget(assistant_, phoneNumber_, serverCtx_);
    if (auto* m = assistant_.if_contains("model"); m && m->is_object()) {
        if (auto* tools = m->as_object().if_contains("tools"); tools && tools->is_array())
            for (auto& t : tools->as_array()) {
                if (!t.is_object()) continue;
                auto& to = t.as_object();
                std::string name = str(to, "type");
                if (auto* f = to.if_contains("function"); f && f->is_object())
                    if (auto n = str(f->as_object(), "name"); !n.empty()) name = n;
                if (name == "apiRequest" && !str(to, "name").empty()) name = str(to, "name");
                if (!name.empty()) tools_[name] = to;
            }
        if (auto* fns = m->as_object().if_contains("functions"); fns && fns->is_array())
            for (auto& f : fns->as_array())
                if (f.is_object())  // legacy OpenAI functions: Vapi's function-call message
                    tools_[str(f.as_object(), "name")] =
                        json::object{{"type", "function"}, {"function", f}, {"legacyFunction", true}};
    }
    if (auto* ap = assistant_.if_contains("artifactPlan"); ap && ap->is_object())
        if (auto* r = ap->as_object().if_contains("recordingEnabled"); r && r->is_bool())
            recording_ = r->as_bool();
    silenceTimeoutSec_ = num(assistant_, "silenceTimeoutSeconds", 30);
    maxDurationSec_ = num(assistant_, "maxDurationSeconds", 600);
    if (auto* p = assistant_.if_contains("endCallPhrases"); p && p->is_array())
        for (auto& e : p->as_array())
            if (e.is_string() && !e.as_string().empty())
                endCallPhrases_.push_back(lower(std::string(e.as_string())));
    if (auto* mp = assistant_.if_contains("messagePlan"); mp && mp->is_object()) {
        auto& o = mp->as_object();
        if (auto* im = o.if_contains("idleMessages"); im && im->is_array())
            for (auto& e : im->as_array())
                if (e.is_string()) idleMessages_.emplace_back(e.as_string());
        idleTimeoutSec_ = num(o, "idleTimeoutSeconds", idleMessages_.empty() ? 0 : 10);
        idleMaxCount_ = static_cast<int>(num(o, "idleMessageMaxSpokenCount", 3));
    }
    // hooks: customer.speech.timeout -> say (Vapi's replacement for idleMessages)
    if (auto* hooks = assistant_.if_contains("hooks"); hooks && hooks->is_array()) {
        for (auto& h : hooks->as_array()) {
            if (!h.is_object() || str(h.as_object(), "on") != "customer.speech.timeout") continue;
            auto& ho = h.as_object();
            if (auto* opt = ho.if_contains("options"); opt && opt->is_object()) {
                idleTimeoutSec_ = num(opt->as_object(), "timeoutSeconds", 7.5);
                idleMaxCount_ = static_cast<int>(num(opt->as_object(), "triggerMaxCount", 3));
            } else {
                idleTimeoutSec_ = 7.5;
            }
            if (auto* d = ho.if_contains("do"); d && d->is_array())
                for (auto& a : d->as_array())
                    if (a.is_object() && str(a.as_object(), "type") == "say") {
                        auto text = str(a.as_object(), "exact");
                        if (text.empty()) text = str(a.as_object(), "message");
                        if (!text.empty()) idleMessages_.push_back(text);
                    }
        }
    }
}

CallSession::~CallSession() = default;

double CallSession::secondsFromStart() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

int64_t CallSession::epochNowMs() const { return epochMs(); }

json::object CallSession::liveArtifact() const {
    json::object a{{"messages", messages_}, {"transcript", transcriptText(messages_)}};
    a["messagesOpenAIFormatted"] = pipeline_ ? json::value(pipeline_->conversation()) : json::value(json::array{});
    return a;
}

std::string CallSession::serverBody(const std::string& type, json::object msg, bool withArtifact) const {
    json::object m;
    m.reserve(msg.size() + 6);
    m["type"] = type;
    m["timestamp"] = epochMs();
    for (auto& kv : msg) m[kv.key()] = std::move(kv.value());
    if (withArtifact && !m.contains("artifact")) m["artifact"] = liveArtifact();
    m["call"] = record_;
    m["assistant"] = assistant_;
    if (auto* c = record_.if_contains("customer")) m["customer"] = *c;
    if (!phoneNumber_.empty()) m["phoneNumber"] = phoneNumber_;
    return json::serialize(json::object{{"message", std::move(m)}});
}

void CallSession::send(const std::string& type, json::object msg, bool server) {
    if (server && !server_.empty() && mgr_.settings().outbox) {
        bool wanted = serverMessages_.count(type) > 0;
        if (!wanted && type == "transcript" && serverMessages_.count(R"(transcript[transcriptType="final"])"))
            wanted = str(msg, "transcriptType") == "final";
        if (wanted) {
            bool artifact = type == "status-update" && str(msg, "status") == "ended";
            mgr_.settings().outbox->enqueue(orgId_, id_, type, server_, serverBody(type, msg, artifact));
        }
    }
    if (!clientMessages_.count(type) || !sink_) return;
    json::object out;
    out.reserve(msg.size() + 1);
    out["type"] = type;  // first, as Vapi's messages read
    for (auto& kv : msg) out[kv.key()] = std::move(kv.value());
    sink_->sendJson(out);
}

void CallSession::start() {
    if (ended_) return;  // ended before it started (end-call, shutdown): nothing to run
    start_ = std::chrono::steady_clock::now();
    startEpochMs_ = epochMs();
    started_ = true;
    if (recording_) beginStreamedRecording();

    pipeline_ = std::make_unique<pipeline::Pipeline>(
        pipeline::PipelineConfig{.assistant = assistant_, .providerCtx = providerContext()}, *this);
    if (auto err = pipeline_->start()) {
        spdlog::warn("call {}: {}", id_, *err);
        std::string reason = err->substr(0, err->find(':'));
        send("status-update", json::object{{"status", "in-progress"}});
        end(reason);
        return;
    }
    // The system prompt opens the transcript, as on Vapi.
    for (auto& m : pipeline_->conversation()) {
        auto& o = m.as_object();
        if (str(o, "role") == "system")
            addMessage(json::object{{"role", "system"},
                                    {"message", str(o, "content")},
                                    {"time", startEpochMs_},
                                    {"secondsFromStart", 0}});
    }
    send("status-update", json::object{{"status", "in-progress"}});

    std::string mode = str(assistant_, "firstMessageMode");
    std::string first = str(assistant_, "firstMessage");
    bool interruptible = pipeline_->settings().firstMessageInterruptionsEnabled;
    if (refusal_) {
        speak(refusal_->text, true, false);  // then end() with the refusal's reason
    } else if (mode == "assistant-speaks-first-with-model-generated-message") {
        pipeline_->inject(pipeline::Frame{.kind = FrameKind::UserTurn, .text = ""});
    } else if (mode != "assistant-waits-for-user" && !first.empty()) {
        speak(first, false, interruptible);
        // The model sees its opening line, as on Vapi.
        pipeline_->addMessage(json::object{{"role", "assistant"}, {"content", first}});
    }
    nextTick_ = start_ + std::chrono::milliseconds(audio::kFrameMs);
    Ticker::of(ex_).add(shared_from_this(), ex_);
    // Control messages that came before the call had started, in the order they came.
    for (auto& m : std::exchange(early_, {})) {
        if (ended_) break;
        if (auto err = onClientMessage(m))
            spdlog::info(R"({{"msg":"control message sent before the call started was refused","callId":"{}","error":{}}})",
                         id_, json::serialize(json::value(*err)));
    }
}

uint64_t CallSession::speak(const std::string& text, bool endCallAfter, bool interruptible) {
    if (!pipeline_) return 0;
    bool was = pipeline_->state().interruptible;
    pipeline_->state().interruptible = interruptible;
    pipeline_->inject(pipeline::Frame{.kind = FrameKind::Speak, .text = text,
                                      .endCallAfter = endCallAfter});
    pipeline_->state().interruptible = was || interruptible;
    return pipeline_->state().nextUtterance - 1;  // the Speak's utterance (assigned synchronously)
}

bool CallSession::tickIfDue(std::chrono::steady_clock::time_point now) {
    // Due within half a millisecond counts (the ticker wakes every ms). Behind schedule
    // (a stalled loop), the ticks are caught up so the call clock keeps to the wall clock.
    if (rephase_) {
        rephaseNow();  // before the old phase's tick, or the first frames go out twice as fast
        return !ended_;
    }
    const auto frame = std::chrono::milliseconds(audio::kFrameMs);
    while (!ended_ && now + std::chrono::microseconds(500) >= nextTick_) {
        nextTick_ += frame;
        onTick();
    }
    return !ended_;
}

void CallSession::onOutputReady() {
    if (rephase_ || ended_) return;
    rephase_ = true;
    asio::post(ex_, [self = shared_from_this()] { self->rephaseNow(); });
}

void CallSession::rephaseNow() {
    // A reply's first audio is ready: play it now and pace on from this moment. The call
    // clock moves to the wall clock (it only ever moves forward).
    if (!rephase_ || ended_ || !pipeline_) return;
    rephase_ = false;
    auto now = std::chrono::steady_clock::now();
    jitter_.reanchor();
    nextTick_ = now + std::chrono::milliseconds(audio::kFrameMs);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
    pipeline_->advanceClockTo(ms - audio::kFrameMs);  // onTick() adds the frame
    onTick();
}

void CallSession::onTick() {
    jitter_.tick(std::chrono::steady_clock::now());
    pipeline_->tick();
    if (ended_) return;
    if (recording_) spillRecording();
    bool quiet = !pipeline_->state().botSpeaking && !pipeline_->state().responding &&
                 spokenUtterance_ >= waitUtterance_;  // what was said before the switch is heard
    if (transfer_ && !transferring_ && quiet) {
        transferring_ = true;
        asio::co_spawn(ex_, doTransfer(shared_from_this(), std::move(*transfer_)), asio::detached);
        transfer_.reset();
    }
    if (handoff_ && quiet) {
        completeHandoff();
        if (ended_) return;
    }
    auto& st = pipeline_->state();
    if (st.userSpeaking || st.botSpeaking || st.responding) lastActivityMs_ = st.nowMs;
    double since = (st.nowMs - lastActivityMs_) / 1000.0;
    if (st.nowMs / 1000.0 >= maxDurationSec_) return end("exceeded-max-duration");
    if (since >= silenceTimeoutSec_) return end("silence-timed-out");
    // `hang`: the caller finished a turn and the assistant has been silent too long
    // (slow model, voice or tool), as Vapi reports it.
    if (awaitingReplyMs_ >= 0 && st.nowMs - awaitingReplyMs_ >= kHangMs) {
        awaitingReplyMs_ = -1;
        send("hang", json::object{});
    }
    if (idleTimeoutSec_ > 0 && !idleMessages_.empty() && idleSpoken_ < idleMaxCount_ &&
        since >= idleTimeoutSec_ * (idleSpoken_ + 1) - 1e-9 && !st.botSpeaking) {
        speak(idleMessages_[static_cast<size_t>(idleSpoken_) % idleMessages_.size()], false, true);
        ++idleSpoken_;
    }
}

void CallSession::onAudio(std::span<const int16_t> pcm) {
    if (ended_ || !pipeline_) return;
    // Never ahead of the clock: what a sender pushes beyond real time plus a burst is
    // dropped before the recorder, the voice detector and the recognizer see it.
    size_t admitted = inputGate_.admit(std::chrono::steady_clock::now(), pcm.size());
    if (admitted < pcm.size()) {
        dropInput(pcm.size() - admitted);
        if (ended_ || admitted == 0) return;
        pcm = pcm.first(admitted);
    }
    // Customer audio goes on the call's clock: contiguous while it streams, re-anchored to
    // the wall clock after a pause (or a slow client), so both channels line up.
    int64_t elapsed = static_cast<int64_t>(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() * audio::kRate);
    if (elapsed - inputSamples_ > audio::kRate / 5) inputSamples_ = elapsed - audio::kFrameSamples;
    if (recording_) recorder_.addCustomer(inputSamples_, pcm);
    if (!listeners_.empty() && listenCustomer_.size() < audio::kRate)  // at most 1 s behind
        listenCustomer_.insert(listenCustomer_.end(), pcm.begin(), pcm.end());
    inputSamples_ += static_cast<int64_t>(pcm.size());
    pipeline_->pushAudio(pcm);
}

void CallSession::dropInput(size_t samples) {
    static auto& dropped = metrics::counter(
        "voxa_call_audio_dropped_seconds_total",
        "Caller audio dropped for arriving faster than real time plus the burst allowance");
    static auto& ended = metrics::counter(
        "voxa_calls_ended_audio_too_fast_total",
        "Calls ended because the caller's audio kept arriving faster than real time");
    dropped.Increment(static_cast<double>(samples) / audio::kRate);
    double total = inputGate_.droppedSeconds();
    if (inputGate_.droppedSamples() == static_cast<int64_t>(samples))  // the first drop of this call
        spdlog::warn(R"({{"msg":"caller audio faster than real time: dropping the excess","callId":"{}"}})", id_);
    if (total <= kInputDropEndSeconds) return;
    ended.Increment();
    endedMessage_ = fmt::format(
        "The caller's audio arrived faster than real time: {:.1f} s beyond real time plus a "
        "{:.0f} s burst was dropped, and the call was ended.", total, kInputBurstSeconds);
    spdlog::warn(R"({{"msg":"ending a call whose audio keeps arriving faster than real time","callId":"{}","droppedSeconds":{:.1f}}})",
                 id_, total);
    end("phone-call-provider-closed-websocket");
}

void CallSession::onOutputFrame(std::span<const int16_t> pcm, bool silence) {
    // The output clock: frame n covers [n*20ms, (n+1)*20ms) of the call.
    int64_t at = pipeline_->state().nowMs * audio::kRate / 1000;
    if (recording_) recorder_.addAssistant(at, pcm);
    ++outputFrames_;
    if (sink_) sink_->sendAudio(pcm);
    if (!listeners_.empty()) {
        // One stereo frame per output frame: the customer audio that came in meanwhile.
        listenFrame_.assign(pcm.size() * 2, 0);
        size_t n = std::min(pcm.size(), listenCustomer_.size());
        for (size_t i = 0; i < pcm.size(); ++i) {
            listenFrame_[2 * i] = i < n ? listenCustomer_[i] : 0;
            listenFrame_[2 * i + 1] = silence ? 0 : pcm[i];
        }
        listenCustomer_.erase(listenCustomer_.begin(), listenCustomer_.begin() + static_cast<long>(n));
        for (auto& l : listeners_) l->sendFrame(listenFrame_);
    }
}

void CallSession::addListener(std::shared_ptr<Listener> l) {
    if (ended_) return l->ended();
    listeners_.push_back(std::move(l));
}

void CallSession::removeListener(const std::shared_ptr<Listener>& l) {
    std::erase(listeners_, l);
    if (listeners_.empty()) listenCustomer_.clear();
}

void CallSession::addMessage(json::object m) {
    // In time order: a bot message is added when it has been played, after a user line
    // spoken over it (the caller talking during the first message).
    auto at = messages_.end();
    if (auto* t = m.if_contains("secondsFromStart"); t && t->is_number()) {
        double sec = t->to_number<double>();
        while (at != messages_.begin()) {
            auto* p = std::prev(at)->as_object().if_contains("secondsFromStart");
            if (!p || !p->is_number() || p->to_number<double>() <= sec) break;
            --at;
        }
    }
    messages_.insert(at, std::move(m));
    json::object update{{"messages", messages_}};
    if (pipeline_) update["messagesOpenAIFormatted"] = pipeline_->conversation();
    send("conversation-update", std::move(update));
}

void CallSession::recordModelLog(json::object failure) {
    // GET /logs?type=Provider&callId=...: which model served the turn, the switches on the way.
    if (!pipeline_ || !mgr_.settings().outbox) return;
    auto& st = pipeline_->state();
    // Only for a model with fallbackModels (or one that failed): the others have one model.
    auto* m = assistant_.if_contains("model");
    auto* fm = m && m->is_object() ? m->as_object().if_contains("fallbackModels") : nullptr;
    bool chain = fm && fm->is_array() && !fm->as_array().empty();
    if (!chain && failure.empty()) return;
    json::array switches;
    for (auto& s : std::exchange(st.modelSwitches, {})) switches.push_back(std::move(s));
    json::object log{{"resource", "model"}, {"turn", turn_}, {"provider", st.model}, {"model", st.modelName},
                     {"fallbacks", std::move(switches)}};
    if (!failure.empty()) log["failure"] = std::move(failure);
    if (auto logs = mgr_.settings().outbox->logs()) logs->recordLog(orgId_, id_, "Provider", std::move(log));
}

json::object CallSession::botMetadata() const {
    if (!pipeline_) return json::object{{"voice", "local"}};
    auto& st = pipeline_->state();
    json::object model{{"provider", st.model}};
    if (!st.modelName.empty()) model["model"] = st.modelName;
    return json::object{{"voice", st.voice}, {"model", std::move(model)}};
}

void CallSession::addUserMessage(const std::string& text) {
    double startSec = userStartSec_ < 0 ? secondsFromStart() : userStartSec_;
    addMessage(json::object{{"role", "user"},
                            {"message", text},
                            {"time", startEpochMs_ + static_cast<int64_t>(startSec * 1000)},
                            {"endTime", epochMs()},
                            {"secondsFromStart", round3(startSec)},
                            {"duration", static_cast<int64_t>((secondsFromStart() - startSec) * 1000)},
                            // Which transcriber heard this turn (a fallback may have taken over).
                            {"metadata", json::object{{"transcriber", pipeline_->state().transcriber}}}});
    userStartSec_ = -1;
}

void CallSession::flushBotTurn() {
    if (botText_.empty()) {
        botMsgStartSec_ = -1;
        return;
    }
    double now = secondsFromStart();
    double startSec = botMsgStartSec_ < 0 ? now : botMsgStartSec_;
    addMessage(json::object{{"role", "bot"},
                            {"message", botText_},
                            {"time", startEpochMs_ + static_cast<int64_t>(startSec * 1000)},
                            {"endTime", epochMs()},
                            {"secondsFromStart", round3(startSec)},
                            {"duration", static_cast<int64_t>((now - startSec) * 1000)},
                            {"source", ""},
                            // Which voice spoke it and which model wrote it (Voxa's extra, as
                            // UserMessage.metadata; a fallback may have taken over either).
                            {"metadata", botMetadata()}});
    botText_.clear();
    botMsgStartSec_ = -1;
}

void CallSession::onFrame(const pipeline::Frame& f) {
    if (ended_) return;
    auto nowMs = pipeline_ ? pipeline_->state().nowMs : 0;
    if (spdlog::should_log(spdlog::level::trace) && f.kind != FrameKind::LlmText)
        spdlog::trace("call {} +{:.1f} ms (clock {} ms): {}", id_, secondsFromStart() * 1000, nowMs,
                      pipeline::toString(f.kind));
    switch (f.kind) {
        case FrameKind::UserStartedSpeaking:
            awaitingReplyMs_ = -1;
            userStartSec_ = secondsFromStart();
            send("speech-update", json::object{{"status", "started"}, {"role", "user"}, {"turn", turn_}});
            break;
        case FrameKind::UserStoppedSpeaking:
            userStoppedMs_ = nowMs;
            finalMs_ = turnMs_ = firstTextMs_ = firstTtsMs_ = -1;
            send("speech-update", json::object{{"status", "stopped"}, {"role", "user"}, {"turn", turn_}});
            break;
        case FrameKind::Transcript:
            if (f.isFinal) finalMs_ = nowMs;
            if (f.isFinal && f.text.empty()) break;
            send("transcript", json::object{{"role", "user"},
                                            {"transcriptType", f.isFinal ? "final" : "partial"},
                                            {"transcript", f.text}});
            break;
        case FrameKind::UserTurn:
            turnMs_ = nowMs;
            awaitingReplyMs_ = nowMs;
            if (!f.text.empty()) addUserMessage(f.text);
            break;
        case FrameKind::LlmText:
            if (firstTextMs_ < 0) firstTextMs_ = nowMs;
            send("model-output", json::object{{"output", f.text}});
            break;
        case FrameKind::LlmToolCall: handleToolCall(f.toolCall); break;
        case FrameKind::LlmDone:
            recordModelLog({});
            usage_.promptTokens += f.usage.promptTokens;
            usage_.completionTokens += f.usage.completionTokens;
            usage_.cachedPromptTokens += f.usage.cachedPromptTokens;
            usage_.cacheWriteTokens += f.usage.cacheWriteTokens;
            // The model's message with its tool calls is in the context now: run them (not
            // from inside the model's callback).
            if (!pendingToolCalls_.empty())
                asio::post(ex_, [self = shared_from_this()] { self->runTools(); });
            break;
        case FrameKind::LlmError:
            spdlog::warn("call {}: {}", id_, f.text);
            if (!f.endedReason.empty()) {  // a provider session that cannot go on
                if (!f.text.starts_with("voice:") && !f.text.starts_with("transcriber:"))
                    recordModelLog(json::object{{"endedReason", f.endedReason}, {"detail", f.text.substr(0, 300)}});
                end(f.endedReason);
                break;
            }
            if (f.text.starts_with("voice:") || f.text.starts_with("transcriber:")) break;
            {
                std::string provider = "local";
                if (auto* m = assistant_.if_contains("model"); m && m->is_object())
                    if (auto p = str(m->as_object(), "provider"); !p.empty()) provider = p;
                end(pipeline::endedReason(pipeline::Failed::Model, provider));
            }
            break;
        case FrameKind::TtsText: {
            if (f.replyStart) replyStarts_.insert(f.utterance);
            if (firstTtsMs_ < 0) firstTtsMs_ = nowMs;
            ttsCharacters_ += f.text.size();
            std::string l = lower(f.text);
            for (auto& p : endCallPhrases_)
                if (l.find(p) != std::string::npos) {
                    endAfter_.insert(f.utterance);
                    if (endReasonAfter_.empty()) endReasonAfter_ = "assistant-said-end-call-phrase";
                }
            if (f.endCallAfter) {
                endAfter_.insert(f.utterance);
                if (endReasonAfter_.empty()) endReasonAfter_ = "assistant-ended-call";
            }
            break;
        }
        case FrameKind::BotStartedSpeaking: {
            awaitingReplyMs_ = -1;
            // One bot message per reply: the greeting and the answer queued behind it (the
            // caller spoke during the greeting) are two messages, not one.
            bool opensReply = replyStarts_.count(f.utterance) > 0;
            replyStarts_.erase(replyStarts_.begin(), replyStarts_.upper_bound(f.utterance));
            if (opensReply) flushBotTurn();
            if (botMsgStartSec_ < 0) botMsgStartSec_ = secondsFromStart();
            if (botStartSec_ < 0) {
                botStartSec_ = secondsFromStart();
                send("speech-update", json::object{{"status", "started"}, {"role", "assistant"}, {"turn", turn_}});
                if (userStoppedMs_ >= 0 && turnMs_ >= 0) {
                    // Per-turn latency, Vapi's performanceMetrics.turnLatencies.
                    TurnLatency t;
                    double vadHold = pipeline_->settings().vadStopSeconds * 1000;
                    t.transcriberMs = finalMs_ >= 0 ? double(finalMs_ - userStoppedMs_) + vadHold : 0;
                    t.endpointingMs = finalMs_ >= 0 ? double(turnMs_ - finalMs_) : double(turnMs_ - userStoppedMs_);
                    // The model's own time (asked -> first token): with a request asked
                    // ahead of the turn, more than the wait it left after the turn.
                    int64_t modelOwn = pipeline_->state().modelLatencyMs;
                    t.modelMs = modelOwn >= 0 ? double(modelOwn)
                                : firstTextMs_ >= 0 ? double(firstTextMs_ - turnMs_) : 0;
                    t.voiceMs = firstTtsMs_ >= 0 ? double(nowMs - firstTtsMs_) : 0;
                    t.turnMs = double(nowMs - userStoppedMs_) + vadHold;
                    latencies_.push_back(t);
                    userStoppedMs_ = -1;
                }
            }
            break;
        }
        case FrameKind::UtteranceSpoken:
            spokenUtterance_ = std::max(spokenUtterance_, f.utterance);
            if (!f.text.empty()) {
                if (!botText_.empty()) botText_ += ' ';
                botText_ += f.text;
                send("transcript", json::object{{"role", "assistant"},
                                                {"transcriptType", "final"},
                                                {"transcript", f.text}});
            }
            if (f.isFinal && endAfter_.count(f.utterance)) {
                flushBotTurn();
                return end(endReasonAfter_);
            }
            break;
        case FrameKind::Interruption:
            if (ending_) break;  // end() cutting the assistant off, not the user
            // The cut UtteranceSpoken frames came first, so botText_ is what was heard.
            pipeline_->recordInterruptedReply(botText_);
            if (sink_) sink_->clearAudio();
            ++interruptions_;
            endAfter_.clear();
            endReasonAfter_.clear();
            send("user-interrupted", json::object{});
            break;
        case FrameKind::BotStoppedSpeaking:
            // Output ran dry while the model is still streaming this reply (TTS behind):
            // the reply goes on in the same message.
            if (!(pipeline_ && pipeline_->state().responding)) flushBotTurn();
            botStartSec_ = -1;
            // Held, then interrupted: the caller was told it stopped at the hold.
            if (!std::exchange(botHeld_, false))
                send("speech-update", json::object{{"status", "stopped"}, {"role", "assistant"}, {"turn", turn_}});
            ++turn_;
            break;
        case FrameKind::Hold:
            // The caller may be barging in: the assistant's audio stops where it is, to play
            // on (Resume) unless their words interrupt it (user-interrupted). The same turn.
            botHeld_ = true;
            send("speech-update", json::object{{"status", "stopped"}, {"role", "assistant"}, {"turn", turn_}});
            break;
        case FrameKind::Resume:
            botHeld_ = false;
            send("speech-update", json::object{{"status", "started"}, {"role", "assistant"}, {"turn", turn_}});
            break;
        default: break;
    }
}

std::optional<std::string> CallSession::onClientMessage(const json::object& msg) {
    if (ended_) return std::string("the call has ended");
    std::string type = str(msg, "type");
    if (type == "end-call" || type == "hangup") {
        end("customer-ended-call");
        return std::nullopt;
    }
    if (!started_) {
        // The session is published (controlUrl, the transport) just before start() runs on
        // its loop: keep what comes meanwhile, in order, for start() to apply.
        if (early_.size() >= kMaxEarlyMessages)
            return std::string("the call is starting: too many control messages before it started");
        early_.push_back(msg);
        return std::nullopt;
    }
    if (type == "say") {
        std::string text = str(msg, "content");
        if (text.empty()) text = str(msg, "message");  // the web SDK's field
        if (text.empty()) return std::string("say: content must be a non-empty string");
        bool endAfter = msg.contains("endCallAfterSpoken") && msg.at("endCallAfterSpoken").is_bool() &&
                        msg.at("endCallAfterSpoken").as_bool();
        bool interruptAssistant = msg.contains("interruptAssistantEnabled") &&
                                  msg.at("interruptAssistantEnabled").is_bool() &&
                                  msg.at("interruptAssistantEnabled").as_bool();
        bool interruptions = !msg.contains("interruptionsEnabled") ||
                             (msg.at("interruptionsEnabled").is_bool() && msg.at("interruptionsEnabled").as_bool());
        if (interruptAssistant && pipeline_->state().botSpeaking) pipeline_->interrupt();
        speak(text, endAfter, interruptions);
        return std::nullopt;
    }
    if (type == "add-message") {
        auto* m = msg.if_contains("message");
        if (!m || !m->is_object()) return std::string("add-message: message must be an object");
        auto& mo = m->as_object();
        std::string role = str(mo, "role");
        if (role != "system" && role != "user" && role != "assistant" && role != "tool" &&
            role != "function")
            return std::string(
                "add-message: message.role must be one of the following values: system, user, "
                "assistant, tool, function");
        pipeline_->addMessage(mo);
        addMessage(json::object{{"role", role == "assistant" ? "bot" : role},
                                {"message", str(mo, "content")},
                                {"time", epochMs()},
                                {"secondsFromStart", round3(secondsFromStart())}});
        bool trigger = !msg.contains("triggerResponseEnabled") ||
                       (msg.at("triggerResponseEnabled").is_bool() && msg.at("triggerResponseEnabled").as_bool());
        if (trigger && role != "assistant")
            pipeline_->inject(pipeline::Frame{.kind = FrameKind::UserTurn, .text = ""});
        return std::nullopt;
    }
    if (type == "control") {
        std::string c = str(msg, "control");
        if (c == "say-first-message") {
            auto first = str(assistant_, "firstMessage");
            if (!first.empty()) speak(first, false, true);
            return std::nullopt;
        }
        if (c == "mute-assistant" || c == "unmute-assistant" || c == "mute-customer" || c == "unmute-customer")
            return std::nullopt;  // accepted; muting is not implemented yet
        return std::string("control: unknown control '" + c + "'");
    }
    if (type == "transfer") {
        auto* d = msg.if_contains("destination");
        if (!d || !d->is_object()) return std::string("transfer: destination must be an object");
        return startTransfer(d->as_object(), std::nullopt, str(msg, "content"));
    }
    if (type.empty()) return std::string("message must have a string 'type'");
    return std::string("unknown message type '" + type + "'");
}

void CallSession::onTransportClosed() {
    sink_.reset();
    end("customer-ended-call");
}

void CallSession::end(const std::string& why) {
    if (ended_) return;
    // A refused call ends as refused, however it ends (said, hung up, never joined).
    const std::string& reason = refusal_ ? refusal_->endedReason : why;
    // Cut what is playing now as a barge-in does, so that the part the caller heard is
    // recorded (UtteranceSpoken) instead of being lost from messages and the transcript.
    if (pipeline_ && pipeline_->state().botSpeaking) {
        ending_ = true;
        pipeline_->interrupt();
    }
    ended_ = true;
    // Final words no turn took yet (the caller hung up while the end of their turn was
    // still being decided, or over a greeting): said, so recorded, in the order said.
    std::string unanswered = pipeline_ ? pipeline_->unansweredWords() : std::string();
    bool userFirst = !unanswered.empty() && userStartSec_ >= 0 && botMsgStartSec_ >= 0 && userStartSec_ < botMsgStartSec_;
    if (userFirst) addUserMessage(unanswered);
    flushBotTurn();
    if (!unanswered.empty() && !userFirst) addUserMessage(unanswered);
    send("status-update", json::object{{"status", "ended"}, {"endedReason", reason}});
    if (pipeline_) pipeline_->stop();
    if (sink_) sink_->close();
    for (auto& l : listeners_) l->ended();
    listeners_.clear();
    asio::co_spawn(ex_, finish(reason), asio::detached);
}

}  // namespace voxa::call

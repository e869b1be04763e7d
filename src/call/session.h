// CallSession: one live call. Owns the pipeline, paces audio out every 20 ms, turns
// pipeline frames into Vapi's client messages and call record, runs the call's timers.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "audio/pacer.h"
#include "audio/realtime_gate.h"
#include "audio/recorder.h"
#include "call/call.h"
#include "call/ticker.h"
#include "pipeline/pipeline.h"

namespace voxa::call {

struct TurnLatency {
    double transcriberMs = 0, endpointingMs = 0, modelMs = 0, voiceMs = 0, turnMs = 0;
};

class CallSession : public pipeline::Observer,
                    public Ticker::Client,
                    public std::enable_shared_from_this<CallSession> {
public:
    CallSession(CallManager& mgr, boost::json::object record, CallSetup setup,
                std::shared_ptr<TransportSink> sink, boost::asio::any_io_executor ex);
    ~CallSession() override;

    /// Starts the pipeline and the clock; sends status-update in-progress, first message.
    void start();
    void onAudio(std::span<const int16_t> pcm);
    /// A control message from the client socket or controlUrl (say, add-message, end-call,
    /// control, transfer). Returns an error text for unknown or malformed messages.
    std::optional<std::string> onClientMessage(const boost::json::object& msg);
    void onTransportClosed();
    /// Ends the call with a Vapi endedReason (idempotent).
    void end(const std::string& reason);

    /// monitor.listenUrl listeners (on the session's executor).
    void addListener(std::shared_ptr<Listener> l);
    void removeListener(const std::shared_ptr<Listener>& l);
    /// {"monitorPlan": ...} of the assistant the call started with (immutable; any thread).
    const boost::json::object& monitorSource() const { return monitorSource_; }
    /// The secret path segment of the call's monitor URLs (immutable; any thread).
    const std::string& monitorSecret() const { return monitorSecret_; }

    const std::string& id() const { return id_; }
    const std::string& orgId() const { return orgId_; }
    const boost::json::object& record() const { return record_; }
    boost::asio::any_io_executor executor() const { return ex_; }
    bool ended() const { return ended_; }

    // pipeline::Observer
    void onFrame(const pipeline::Frame& f) override;
    void onOutputFrame(std::span<const int16_t> pcm, bool silence) override;
    void onOutputReady() override;

private:
    // The call's 20 ms clock, driven by the loop's Ticker.
    bool tickIfDue(std::chrono::steady_clock::time_point now) override;
    void rephaseNow();
    void onTick();
    /// Caller audio beyond real time plus the burst: counted, then the call is ended.
    void dropInput(size_t samples);
    /// A message to the client (filtered by clientMessages) and, unless `server` is false,
    /// to the server URL through the outbox (filtered by serverMessages).
    void send(const std::string& type, boost::json::object msg, bool server = true);
    /// Vapi's server message body: {"message": {type, timestamp, ...msg, call, assistant, customer}}.
    std::string serverBody(const std::string& type, boost::json::object msg, bool withArtifact) const;
    boost::json::object liveArtifact() const;
    double secondsFromStart() const;
    int64_t epochNowMs() const;
    void addMessage(boost::json::object m);
    void flushBotTurn();
    void addUserMessage(const std::string& text);  // a caller's turn, into the record
    boost::json::object botMetadata() const;  // bot message metadata: the voice and model serving
    void recordModelLog(boost::json::object failure);  // the turn's Provider log (GET /logs)
    /// Says `text`; returns its utterance id.
    uint64_t speak(const std::string& text, bool endCallAfter, bool interruptible);
    void handleToolCall(const providers::ToolCall& call);
    void runTools();
    /// Squad handoff: `name` takes over the call with the conversation so far.
    std::optional<std::string> handoff(const std::string& name, const boost::json::object& destination);
    struct PendingTransfer {
        boost::json::object destination;  // TransferDestinationNumber | TransferDestinationSip
        std::optional<providers::ToolCall> call;
    };
    void completeHandoff();
    /// Transfer of a phone call to a number or SIP URI (transferCall tool, "transfer"
    /// control message): says the message, then asks the telephony provider.
    std::optional<std::string> startTransfer(boost::json::object destination,
                                             std::optional<providers::ToolCall> call,
                                             const std::string& content);
    static boost::asio::awaitable<void> doTransfer(std::shared_ptr<CallSession> self, PendingTransfer t);
    /// assistant_-derived settings (serverMessages, server URL, tools, timers, ...).
    void configureFromAssistant();
    /// What the call's providers (pipeline, analysis) run with.
    providers::Context providerContext() const;
    void toolResult(const providers::ToolCall& call, const std::string& result, bool isError,
                    const boost::json::object* spokenMessage, bool respond);
    static boost::asio::awaitable<void> callApiRequest(std::shared_ptr<CallSession> self,
                                                       providers::ToolCall call,
                                                       boost::json::object tool);
    static boost::asio::awaitable<void> askTransferDestination(std::shared_ptr<CallSession> self,
                                                               providers::ToolCall call,
                                                               boost::json::object tool);
    static boost::asio::awaitable<void> callToolServer(std::shared_ptr<CallSession> self,
                                                       providers::ToolCall call,
                                                       boost::json::object tool,
                                                       webhooks::Target target);
    /// After end(): writes the recordings and the record, runs the analysis, stores the
    /// end-of-call-report, drops the call's lease (session_end.cpp).
    boost::asio::awaitable<void> finish(std::string reason);
    /// The recordings are written to their files as the call goes (memory stays flat, a
    /// crash keeps all but the last second or two): created at start, fed about once a
    /// second, completed by finish() (session_end.cpp).
    void beginStreamedRecording();
    void spillRecording();
    boost::asio::awaitable<bool> finishRecording();
    /// analysisPlan: summary, structured data, success evaluation (call/analysis.h).
    boost::asio::awaitable<boost::json::object> analyze(std::string reason);

    CallManager& mgr_;
    std::string id_, orgId_;
    boost::json::object record_;
    boost::json::object assistant_;  // the active assistant (changes on a squad handoff)
    boost::json::object monitorSource_;
    std::string monitorSecret_;
    std::shared_ptr<void> slot_;  // the org's concurrency slot, given back when the call ends
    boost::json::array squad_;        // [{name, assistant}] of a squad call
    boost::json::object phoneNumber_; // phone calls: the number called
    boost::json::object telephony_;   // phone calls: provider, accountSid, authToken, callSid
    ServerContext serverCtx_;
    std::string memberName_;          // the active squad member
    struct PendingHandoff {
        std::string name;
        boost::json::object destination;
    };
    std::optional<PendingHandoff> handoff_;  // waits for the current speech to finish
    std::optional<PendingTransfer> transfer_;  // waits for the current speech to finish
    bool transferring_ = false;
    uint64_t waitUtterance_ = 0;    // a handoff/transfer waits until this utterance was played
    uint64_t spokenUtterance_ = 0;  // the last utterance played (or cut)
    std::shared_ptr<TransportSink> sink_;
    boost::asio::any_io_executor ex_;
    std::unique_ptr<pipeline::Pipeline> pipeline_;
    audio::CallRecorder recorder_;
    audio::JitterStats jitter_;
    std::set<std::string> clientMessages_;
    std::set<std::string> serverMessages_;
    std::vector<std::shared_ptr<Listener>> listeners_;
    std::vector<int16_t> listenCustomer_;  // customer audio not yet sent to listeners
    std::vector<int16_t> listenFrame_;
    webhooks::Target server_;  // assistant.server -> org.server
    std::map<std::string, boost::json::object> tools_;  // function name -> tool config
    std::vector<providers::ToolCall> pendingToolCalls_;  // of the model turn in progress
    int toolsOutstanding_ = 0;   // tool calls of the last model turn still running
    bool toolsRespond_ = false;  // the model answers once they are all back

    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point nextTick_;
    bool rephase_ = false;  // onOutputReady: tick now and pace from there
    bool recording_ = true;  // artifactPlan.recordingEnabled: off keeps no audio at all
    int64_t startEpochMs_ = 0;
    int64_t inputSamples_ = 0;
    audio::RealtimeGate inputGate_{{.rate = audio::kRate, .burstSeconds = kInputBurstSeconds}};
    std::string endedMessage_;  // the record's endedMessage: context for endedReason
    std::optional<Refusal> refusal_;  // a refused call: says why, ends with its reason
    int64_t outputFrames_ = 0;
    bool started_ = false;
    std::atomic<bool> ended_{false};  // read by other threads (monitor, listen)
    int64_t awaitingReplyMs_ = -1;  // call clock of the turn still waiting for a reply
    static constexpr int64_t kHangMs = 5000;  // no reply this long after a turn -> "hang"
    // Caller audio: real time plus this much burst goes in (jitter, a stalled network
    // catching up); a sender that has had more than kInputDropEndSeconds dropped is ended.
    static constexpr double kInputBurstSeconds = 2.0;
    static constexpr double kInputDropEndSeconds = 5.0;
    bool ending_ = false;  // end() is cutting off the assistant's speech
    /// Control messages that arrived before start() (applied by it, in order), and their bound.
    std::vector<boost::json::object> early_;
    static constexpr size_t kMaxEarlyMessages = 32;
    std::chrono::steady_clock::time_point nextSpill_{};
    struct RecordingStream;
    std::shared_ptr<RecordingStream> stream_;  // the recording's files, shared with the pool's jobs

    // transcript and messages
    boost::json::array messages_;
    std::string botText_;          // the current bot message (one reply) as spoken
    double botMsgStartSec_ = -1;   // when that message started playing
    double botStartSec_ = -1;      // when the assistant started talking (speech-update)
    bool botHeld_ = false;         // held for a possible barge-in (speech-update stopped sent)
    std::set<uint64_t> replyStarts_;  // utterances that open a new bot message
    int turn_ = 0;
    std::set<uint64_t> endAfter_;  // utterances whose playback ends the call
    std::string endReasonAfter_;
    double userStartSec_ = -1;

    // timers
    int64_t lastActivityMs_ = 0;   // call clock
    int idleSpoken_ = 0;
    double silenceTimeoutSec_ = 30, maxDurationSec_ = 600;
    double idleTimeoutSec_ = 0;
    std::vector<std::string> idleMessages_;
    int idleMaxCount_ = 3;

    // latency of the turn in progress (call-clock ms)
    int64_t userStoppedMs_ = -1, finalMs_ = -1, turnMs_ = -1, firstTextMs_ = -1, firstTtsMs_ = -1;
    std::vector<TurnLatency> latencies_;
    int interruptions_ = 0;
    providers::Usage usage_;
    size_t ttsCharacters_ = 0;
    std::vector<std::string> endCallPhrases_;
};

/// "AI: ...\nUser: ...\n" from the call's messages.
std::string transcriptText(const boost::json::array& messages);

/// Replaces {{name}} in every string of `v` (Vapi's variableValues, minus Liquid filters).
void applyVariables(boost::json::value& v, const boost::json::object& vars);

}  // namespace voxa::call

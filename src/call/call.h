// Calls: creation (POST /call), the live session of each call, and its record.
//
//   voxa::call::CallManager calls(store, dbPool, compute, {.publicUrl = "http://127.0.0.1:8080",
//                                                          .dataDir = "./data"});
//   json::object call = co_await calls.create(orgId, body);      // status "queued"
//   // the transport connects to call.transport.websocketCallUrl:
//   auto session = co_await calls.attach(callId, token, sink, loopExecutor);
//   session->onAudio(pcm16k);  session->onClientMessage(msg);  session->onTransportClosed();
//   // call.monitor.controlUrl is <base>/<callId>/<secret>/control:
//   if (auto m = calls.monitor(callId, secret)) ...;   // nullopt for a wrong secret (404)
//   // nobody attaches within settings.joinTimeoutSeconds: the call ends by itself; an org
//   // holding concurrencyLimit calls: create() throws CallError 400 "Over Concurrency Limit"
//   // a phone call's progress as Twilio reports it (POST /twilio/status/<callId>):
//   co_await calls.twilioStatus(callId, "busy", callSid);        // ended: customer-busy
//
// A session lives on the event loop of its transport connection (one thread, no locks)
// and writes its record (messages, transcript, recordings, latencies, cost) when it ends.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "call/concurrency.h"
#include "providers/providers.h"
#include "store/store.h"
#include "webhooks/webhooks.h"

namespace voxa::call {

/// What a session sends back to its transport (implemented by each transport).
class TransportSink {
public:
    virtual ~TransportSink() = default;
    /// One 20 ms frame of assistant audio in the pipeline format (16 kHz mono s16).
    virtual void sendAudio(std::span<const int16_t> pcm) = 0;
    /// A client message (already filtered by the assistant's clientMessages).
    virtual void sendJson(const boost::json::object& message) = 0;
    /// Barge-in: drop audio the far end has buffered but not played (Twilio "clear"), and
    /// any conversion state holding the interrupted audio (a resampler's filter memory).
    virtual void clearAudio() {}
    /// Ends the connection (the call is over).
    virtual void close() = 0;
};

/// A live listener of the call's audio (monitor.listenUrl), fed by the session.
class Listener {
public:
    virtual ~Listener() = default;
    /// 20 ms of stereo s16 at 16 kHz, interleaved: customer, assistant.
    virtual void sendFrame(std::span<const int16_t> stereo) = 0;
    /// The call is over.
    virtual void ended() = 0;
};

struct CallSettings {
    std::string publicUrl = "http://127.0.0.1:8080";
    std::string dataDir = "./data";
    /// Server messages go here (null: no webhooks).
    webhooks::Outbox* outbox = nullptr;
    /// Twilio's REST API (transfers of Twilio calls).
    std::string twilioApiUrl = "https://api.twilio.com";
    /// A call whose transport has not connected this long after creation ends with
    /// kNeverConnected (its record, server messages and memory are finished like any call's).
    double joinTimeoutSeconds = 60;
    /// This server's node id: the calls it runs carry it in their lease (call/lease.h), and
    /// its next start repairs those it left unfinished. Stable across restarts of one node.
    std::string nodeId = "local";
};

/// endedReason of a call whose transport never connected within joinTimeoutSeconds.
inline constexpr const char* kNeverConnected = "call.in-progress.error-providerfault-transport-never-connected";

/// How long Twilio rings an outbound call before it reports no-answer (the Calls.json
/// `Timeout`, Twilio's default): an outbound call waits this plus joinTimeoutSeconds for its
/// stream until Twilio says it was answered, then joinTimeoutSeconds from the answer.
inline constexpr int kRingSeconds = 60;

/// A call refused before it started (an assistant-request that gave no usable assistant):
/// it still has a record, its session says `text` in Voxa's own voice and ends with
/// `endedReason`, whatever else would end it.
struct Refusal {
    std::string text;         // said to the caller (bounded by the caller: kMaxRefusalChars)
    std::string endedReason;  // a Vapi endedReason (assistant-request-returned-error, ...)
    std::string message;      // the record's endedMessage: why, for the operator
};
inline constexpr size_t kMaxRefusalChars = 1000;

/// What a call needs to reach the customer's server: the org's `server` and the webhook
/// credentials its assistant, tools and org refer to.
struct ServerContext {
    boost::json::object org;  // server, serverUrl, serverUrlSecret
    webhooks::Credentials credentials;
    /// Speech and model provider keys for the call (providers/credentials.h), by provider.
    std::map<std::string, providers::ProviderCredential> providers;
};

/// What a call runs, resolved at creation (overrides and {{variables}} applied).
struct CallSetup {
    boost::json::object assistant;  // the assistant that starts (a squad's first member)
    ServerContext server;
    boost::json::object phoneNumber;  // phone calls: the number called (server, name, ...)
    /// Phone calls: how to act on the line {provider, accountSid, authToken, callSid}.
    boost::json::object telephony;
    boost::json::array squad;       // squad calls: [{name, assistant}], members in order
    /// The secret path segment of monitor.listenUrl and monitor.controlUrl (never logged).
    std::string monitorSecret;
    /// The call's concurrency slot (Concurrency): held until the call has ended.
    std::shared_ptr<void> slot;
    /// Set for a refused call: says why, then ends (see Refusal).
    std::optional<Refusal> refusal;
};

class CallSession;

/// Raised by create() for bad requests; the API maps it to Vapi's error body.
struct CallError : std::runtime_error {
    int status;
    std::vector<std::string> messages;
    /// Fields added to the error body (subscriptionLimits of a call over the org's limit).
    boost::json::object extra;
    bool concurrencyBlocked = false;
    CallError(int s, std::string m) : std::runtime_error(m), status(s), messages{std::move(m)} {}
};

class CallManager {
public:
    CallManager(store::Store& store, boost::asio::thread_pool& dbPool,
                boost::asio::thread_pool& compute, CallSettings settings);
    ~CallManager();

    /// Validated CreateCallDTO body -> the stored call (201), plus Vapi's
    /// subscriptionLimits {concurrencyBlocked, concurrencyLimit, remainingConcurrentCalls}
    /// (not stored). Throws CallError, also over the org's concurrencyLimit (400, Vapi's
    /// "Over Concurrency Limit" with subscriptionLimits.concurrencyBlocked true).
    boost::asio::awaitable<boost::json::object> create(std::string orgId, boost::json::object body);
    /// POST /call/web: the same for a browser (type "webCall", never a phone call; the body
    /// was checked against CreateWebCallDTO by the API).
    boost::asio::awaitable<boost::json::object> createWeb(std::string orgId, boost::json::object body);

    /// An inbound phone call, answered by a telephony transport (twilio/).
    struct Inbound {
        std::string callId;          // chosen before assistant-request
        boost::json::object phoneNumber;  // the stored phone number that was called
        std::string from;            // the caller's number (customer.number)
        std::string provider = "twilio";
        std::string providerCallId;  // e.g. Twilio's CallSid
        std::string accountSid, authToken;  // the provider's REST credentials (transfers)
        bool outbound = false;       // we place the call (POST /call with phoneNumberId)
        std::optional<Refusal> refusal;  // a refused call: the record is kept, the reason said
        std::string token;           // set by createCall: the transport's one-time token
    };
    struct InboundCall {
        boost::json::object call;
        std::string token;  // for the transport (e.g. a TwiML <Parameter>)
    };
    /// `body`: {assistantId | assistant | squadId | squad, assistantOverrides?} as chosen by
    /// the phone number or the assistant-request answer. The call waits for attach().
    boost::asio::awaitable<InboundCall> createInbound(std::string orgId, boost::json::object body, Inbound in);

    /// The transport connected: starts the call's session on `executor`. nullptr if the
    /// call does not exist, is not waiting for a transport, or the token is wrong.
    boost::asio::awaitable<std::shared_ptr<CallSession>> attach(
        std::string callId, std::string token, std::string bearerOrgId,
        std::shared_ptr<TransportSink> sink, boost::asio::any_io_executor executor);

    /// Twilio's status callback for a call (CallStatus, CallSid; the request is verified by
    /// the caller): ringing marks the record; in-progress (answered) restarts the join bound;
    /// busy, no-answer, failed, canceled and completed end a call still waiting for its
    /// stream (customer-busy, customer-did-not-answer, twilio-failed-to-connect-call,
    /// manually-canceled, call.in-progress.twilio-completed-call), completed also ends a live
    /// call (customer-ended-call, as the stream's stop would). Anything else is ignored.
    boost::asio::awaitable<void> twilioStatus(std::string callId, std::string status, std::string callSid);

    /// Whether attach() would accept this transport, checked before the WebSocket upgrade;
    /// a yes claims the call for this request (Pending::claimed): one upgrade per call.
    bool canAttach(const std::string& callId, const std::string& token,
                   const std::string& bearerOrgId);
    /// monitorPlan of a call that is waiting for its transport or in progress on this node,
    /// if `secret` is the call's monitor secret (the path segment of monitor.listenUrl and
    /// monitor.controlUrl, compared in constant time); nullopt otherwise, whichever it is.
    struct Monitor {
        std::string orgId;
        bool listenAuth = false;   // monitorPlan.listenAuthenticationEnabled
        bool controlAuth = false;  // monitorPlan.controlAuthenticationEnabled
    };
    std::optional<Monitor> monitor(const std::string& callId, std::string_view secret);
    /// Whether the call is waiting for its transport or in progress on this node.
    bool active(const std::string& callId);
    /// A live session, if the call is in progress on this node.
    std::shared_ptr<CallSession> live(const std::string& callId);
    size_t liveCount();

    /// Shutdown, step 1: new calls are refused (503) from now on.
    void drain() { draining_ = true; }
    bool draining() const { return draining_; }
    /// Calls created but not joined yet.
    size_t pendingCount();
    /// Shutdown, step 2: ends every call of this node with `reason`: the live ones on their
    /// loops, the ones nobody joined on `ex`; a call joining meanwhile ends as it starts.
    void endAll(const std::string& reason, boost::asio::any_io_executor ex);
    /// Sessions whose finish (record, recordings, report, lease) is not done yet.
    int unfinished() const { return unfinished_.load(); }
    /// At start, before serving: ends the calls this node left unfinished (a crash or kill),
    /// from their leases: endedReason kWorkerDied, the recording streamed so far kept (its
    /// header fixed up, the mono mix made from it), the end-of-call-report stored once (its id
    /// is the call's). Blocking (the database, files): call it from the main thread.
    struct RepairStats {
        int calls = 0, ended = 0, reports = 0, recordings = 0, failed = 0;
    };
    RepairStats repairAtStart();

    /// Used by sessions.
    void sessionOpened() { ++unfinished_; }
    void sessionClosed() { --unfinished_; }
    boost::asio::awaitable<void> dropLease(std::string orgId, std::string callId);
    void finished(const std::string& callId);
    boost::asio::awaitable<void> saveRecord(std::string orgId, std::string callId,
                                            boost::json::object record);
    std::string recordingPath(const std::string& orgId, const std::string& callId,
                              const std::string& kind) const;

    /// The public URL without a trailing slash, and its ws:// / wss:// twin.
    std::string baseUrl() const;
    std::string wsBaseUrl() const;

    store::Store& store() { return store_; }
    boost::asio::thread_pool& dbPool() { return dbPool_; }
    boost::asio::thread_pool& compute() { return compute_; }
    /// The server is stopping: compute work of every call that has not started yet is
    /// dropped (providers::Context::stopping), so joining the compute pool is quick.
    void stop() { stopping_ = true; }
    const std::atomic<bool>& stopping() const { return stopping_; }
    /// Writes calls' recordings at hang-up: one thread at low CPU priority, so hundreds of
    /// calls hanging up at once cannot take the cores from the loops pacing live audio.
    boost::asio::thread_pool& recordingsPool() { return recordings_; }
    const CallSettings& settings() const { return settings_; }

private:
    /// `limits` (optional) receives Vapi's subscriptionLimits for the POST /call answer.
    boost::asio::awaitable<boost::json::object> createCall(std::string orgId, boost::json::object body,
                                                           Inbound* inbound,
                                                           boost::json::object* limits = nullptr,
                                                           const char* type = nullptr);
    boost::asio::awaitable<boost::json::object> placeOutbound(std::string orgId, boost::json::object body);
    /// A concurrency slot for one more call of the org; throws CallError at its limit.
    boost::asio::awaitable<std::shared_ptr<void>> acquireSlot(std::string orgId, boost::json::object* limits);
    /// Ends a call nobody joined within `seconds` (spawned by createCall, and again when
    /// Twilio says an outbound call was answered): `bound` is the generation of the pending
    /// call's deadline this timer serves; a restarted bound makes the older timers no-ops.
    boost::asio::awaitable<void> expireUnjoined(std::string callId, double seconds, unsigned bound);
    /// Voxa gives up on a phone call nobody joined: Twilio is told to hang it up (canceled
    /// while it rings, completed once answered), so nobody is left on a dead line.
    boost::asio::awaitable<void> hangUpLine(boost::json::object telephony, bool answered);
    /// Ends a call that has no session yet (never joined) with `reason`.
    boost::asio::awaitable<void> endPending(std::string callId, std::string orgId, CallSetup setup,
                                            std::string reason);
    store::Store& store_;
    boost::asio::thread_pool& dbPool_;
    boost::asio::thread_pool& compute_;
    CallSettings settings_;
    boost::asio::thread_pool recordings_{1};
    Concurrency concurrency_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> draining_{false};
    std::atomic<bool> endingAll_{false};
    std::atomic<int> unfinished_{0};
    std::mutex mu_;
    std::map<std::string, std::shared_ptr<CallSession>> live_;
    std::map<std::string, std::string> pendingTokens_;  // callId -> transport token
};

}  // namespace voxa::call

// Webhooks: Vapi's server messages, POSTed as {"message": {...}} to a customer's server URL.
//
//   // Where and how to send, from an assistant's / tool's / org's `server` object:
//   webhooks::Target t = webhooks::targetFrom(assistant["server"], credentials);
//
//   // Fire-and-forget events (status-update, transcript, end-of-call-report, ...) go through
//   // the durable outbox: stored first, then delivered with retries, in order per call.
//   webhooks::Outbox outbox(store, dbPool, loop.get_executor());
//   outbox.start();
//   outbox.enqueue(orgId, callId, "status-update", t, json::serialize(envelope));
//
//   // Messages whose answer the call needs (tool-calls, assistant-request) are sent at once:
//   webhooks::Reply r = co_await webhooks::request(t, body, "tool-calls", orgId, callId);
//   if (r.ok()) use(r.json);
//
// Every request carries Content-Type: application/json, X-Voxa-Event-Id (stable across the
// retries of one event, so receivers can de-duplicate), the legacy X-Vapi-Secret when a
// secret is set, a webhook credential's bearer header or HMAC signature, and the static
// `server.headers`. Each attempt is recorded as a Log ("Webhook") that GET /logs lists.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/http.h"
#include "store/store.h"

namespace voxa::webhooks {

/// server.backoffPlan. Vapi retries only when a plan is given; the outbox always retries
/// fire-and-forget events (exponential from 1 s, at most 5 min apart) until they expire.
struct Backoff {
    bool exponential = true;
    int maxRetries = -1;           // -1: until the event expires
    double baseDelaySeconds = 1;
    double maxDelaySeconds = 300;
    /// Delay before retry number `attempt` (1 = the first retry).
    double delaySeconds(int attempt) const;
};

/// A webhook credential's authenticationPlan of type "hmac".
struct Hmac {
    std::string secret;
    std::string algorithm = "sha256";  // sha256 | sha512 | sha1
    std::string signatureHeader = "x-signature";
    std::string timestampHeader = "x-timestamp";
    std::string signaturePrefix;
    bool includeTimestamp = true;
    std::string payloadFormat = "{timestamp}.{body}";  // tokens {timestamp} {body} {method} {url} {svix-id}
    std::string encoding = "hex";                      // hex | base64
    std::string messageIdHeader;                       // optional: carries the event id
};

/// Where and how to deliver: one resolved `server` object.
struct Target {
    std::string url;
    double timeoutSeconds = 20;
    std::vector<net::Header> headers;  // X-Vapi-Secret, bearer, static server.headers
    std::optional<Hmac> hmac;
    Backoff backoff;

    bool empty() const { return url.empty(); }
    boost::json::object toJson() const;
    static Target fromJson(const boost::json::object& o);
};

/// Webhook credentials of an org by id (POST /credential with provider "webhook").
using Credentials = std::map<std::string, boost::json::object>;

/// A Target from a `server` object ({url, timeoutSeconds, credentialId, headers,
/// backoffPlan, secret}) plus the legacy `serverUrl`/`serverUrlSecret` pair. Empty if no URL.
Target targetFrom(const boost::json::value* server, const Credentials& credentials,
                  const std::string& legacyUrl = "", const std::string& legacySecret = "");

/// The headers of one request: static ones plus the signature over `body` at `nowMs`.
std::vector<net::Header> requestHeaders(const Target& t, const std::string& body,
                                        const std::string& eventId, int64_t nowMs);

/// The answer to a request whose response the call reads.
struct Reply {
    int status = 0;             // HTTP status, 0 = no response
    std::string error;          // transport error or "HTTP 500: ..." or "invalid JSON: ..."
    boost::json::value json;    // the parsed body when ok()
    double latencyMs = 0;
    bool ok() const { return error.empty(); }
};

/// Where delivery attempts are recorded (GET /logs). Owned by the Outbox.
class LogSink;

/// Sends `body` now and waits for the reply (tool-calls, assistant-request, ...), within
/// the target's timeout (or `timeoutSeconds` when > 0). Records the attempt in `logs`.
boost::asio::awaitable<Reply> request(Target target, std::string body, std::string type,
                                      std::string orgId, std::string callId,
                                      std::shared_ptr<LogSink> logs, double timeoutSeconds = 0);

struct OutboxOptions {
    int64_t expireMs = 24LL * 3600 * 1000;  // give up on an event this long after it was made
    size_t maxInFlight = 64;                // concurrent deliveries (one per call at a time)
    int64_t pollMs = 500;                   // look for due events at least this often
    int64_t keepFinishedMs = 24LL * 3600 * 1000;  // delivered/failed rows kept this long
    int64_t keepLogsMs = 14LL * 24 * 3600 * 1000;  // delivery Logs (GET /logs) kept this long
    bool releaseClaimsAtStart = true;       // single node: a restart frees every lease
    /// Take a lease in the database before each attempt (several nodes share the outbox).
    /// A single node (SQLite) keeps its in-flight set in memory instead.
    bool claims = true;
    /// Events waiting in memory to be stored (the database is down or slow). Past this, new
    /// events are dropped: logged once per outage and counted (Stats::dropped).
    size_t maxQueued = 100'000;
    size_t maxBatch = 1000;  // events stored in one transaction
};

/// The durable outbox and its delivery loop. enqueue() is thread-safe; everything else
/// runs on the executor given at construction.
class Outbox {
public:
    Outbox(store::Store& store, boost::asio::thread_pool& dbPool, boost::asio::any_io_executor ex,
           OutboxOptions opts = {});
    ~Outbox();

    void start();
    /// Stops delivering (pending events stay stored for the next start). Call it while the
    /// executor still runs.
    void stop();

    /// Stores the event (in a batch, within milliseconds) and delivers it. Events with the
    /// same orderKey are delivered one at a time in the order they were enqueued. `eventId`
    /// (X-Voxa-Event-Id) is a new UUID unless given (an id derived from what the event is
    /// about, so that it is made only once: see call/lease.h). A batch the database refused
    /// is stored again later with the same ids (idempotently), so an event is stored once and
    /// delivered once (at least once if the process dies between a delivery and its record).
    /// Dropped when maxQueued events already wait for the database.
    void enqueue(const std::string& orgId, const std::string& orderKey, const std::string& type,
                 const Target& target, std::string body, std::string eventId = {});

    /// Waits until everything enqueued so far is stored (tests, shutdown).
    boost::asio::awaitable<void> flush();
    /// Deliveries under way (requests sent, outcome not yet recorded). After stop(), a
    /// shutdown waits for 0 so that no delivered event is left pending and sent again.
    int delivering() const;

    std::shared_ptr<LogSink> logs() const { return logs_; }

    struct Stats {
        std::atomic<int64_t> enqueued{0}, delivered{0}, failed{0}, attempts{0};
        std::atomic<int64_t> dropped{0};      // refused by enqueue(): maxQueued were waiting
        std::atomic<int64_t> storeErrors{0};  // batches the database refused (retried)
    };
    const Stats& stats() const { return stats_; }
    /// Events enqueued and not stored yet (waiting in memory for the database). Thread-safe.
    int64_t queued() const;

private:
    struct State;
    static boost::asio::awaitable<void> writer(std::shared_ptr<State> st);
    static boost::asio::awaitable<void> deliverer(std::shared_ptr<State> st);
    static boost::asio::awaitable<void> deliverOne(std::shared_ptr<State> st, store::OutboxEvent e);
    static boost::asio::awaitable<void> recordOutcome(std::shared_ptr<State> st, store::OutboxEvent e);

    std::shared_ptr<State> st_;
    std::shared_ptr<LogSink> logs_;
    Stats& stats_;
};

/// Records delivery attempts as Vapi Log objects (resources of kind "log"), written in
/// batches on the database pool. Thread-safe.
class LogSink : public std::enable_shared_from_this<LogSink> {
public:
    LogSink(store::Store& store, boost::asio::thread_pool& dbPool);
    struct Attempt {
        std::string orgId, callId, type, url, requestBody, responseBody, error, eventId;
        int status = 0;
        int attempt = 1;
        int64_t startedMs = 0;
        double latencyMs = 0;
    };
    void record(const Attempt& a);
    /// A Log of another kind (GET /logs?type=Provider&callId=...): `log` gets id, orgId,
    /// time, type, callId and createdAt added.
    void recordLog(const std::string& orgId, const std::string& callId, const std::string& type,
                   boost::json::object log);

private:
    void flush();

    store::Store& store_;
    boost::asio::thread_pool& dbPool_;
    std::mutex mu_;
    std::vector<store::Resource> queue_;
    bool flushing_ = false;
};

}  // namespace voxa::webhooks

// The durable outbox: events are stored (in batches) before they are sent, then delivered
// by one loop that keeps at most one request in flight per call, retries with backoff, and
// records every attempt. A crash loses nothing that was stored: the next start delivers it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>

#include "common/ids.h"
#include "common/offload.h"
#include "common/time.h"
#include "net/http_client.h"
#include "webhooks/webhooks.h"

namespace voxa::webhooks {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr size_t kLoggedBodyLimit = 16384;  // request bodies larger than this are not logged
constexpr size_t kMaxResponseBody = 1 << 20;

std::atomic<int64_t> gLastSeq{0};

// Increasing across the process: microseconds since the epoch, bumped on collision.
int64_t nextSeq() {
    int64_t now = epochMs() * 1000;
    int64_t last = gLastSeq.load();
    int64_t seq;
    do {
        seq = std::max(now, last + 1);
    } while (!gLastSeq.compare_exchange_weak(last, seq));
    return seq;
}

bool retryable(const net::HttpClientResult& r) {
    // A bad URL or a destination the egress policy refuses will not change on a retry.
    using Kind = net::HttpClientResult::ErrorKind;
    if (!r.ok()) return r.errorKind != Kind::BadRequest && r.errorKind != Kind::Egress;
    int s = r.status;
    return s >= 500 || s == 408 || s == 425 || s == 429;
}

std::string describe(const net::HttpClientResult& r) {
    if (!r.ok()) return std::string(net::toString(r.errorKind)) + ": " + r.error;
    if (r.success()) return "";
    std::string body = r.body.substr(0, 200);
    return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

net::HttpClientRequest makeRequest(const Target& t, const std::string& body,
                                   const std::string& eventId, double timeoutSeconds) {
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds * 1000));
    net::HttpClientRequest req{.method = "POST", .url = t.url};
    req.headers = requestHeaders(t, body, eventId, epochMs());
    req.body = body;
    req.connectTimeout = std::min(timeout, std::chrono::milliseconds(10'000));
    req.readTimeout = timeout;
    req.totalTimeout = timeout;
    req.maxBufferedBody = kMaxResponseBody;
    return req;
}

}  // namespace

// ---- Logs ------------------------------------------------------------------------------

LogSink::LogSink(store::Store& store, asio::thread_pool& dbPool) : store_(store), dbPool_(dbPool) {}

void LogSink::record(const Attempt& a) {
    std::string id = newId();
    std::string started = isoFromMs(a.startedMs);
    std::string finished = isoFromMs(a.startedMs + static_cast<int64_t>(a.latencyMs));
    json::object log{{"id", id},
                     {"orgId", a.orgId},
                     {"time", started},
                     {"type", "Webhook"},
                     {"webhookType", a.type},
                     {"resource", "call"},
                     {"requestHttpMethod", "POST"},
                     {"requestUrl", a.url},
                     {"requestStartedAt", started},
                     {"requestFinishedAt", finished},
                     {"requestDurationSeconds", a.latencyMs / 1000.0},
                     {"responseHttpCode", a.status},
                     {"eventId", a.eventId},
                     {"attempt", a.attempt},
                     {"createdAt", started}};
    if (a.requestBody.size() <= kLoggedBodyLimit) {
        boost::system::error_code ec;
        auto v = json::parse(a.requestBody, ec);
        if (!ec) log["requestBody"] = std::move(v);
    }
    if (!a.responseBody.empty()) {
        boost::system::error_code ec;
        auto v = json::parse(a.responseBody, ec);
        if (!ec && v.is_object()) log["responseBody"] = std::move(v);
        else log["responseBody"] = json::object{{"text", a.responseBody.substr(0, 2000)}};
    }
    if (!a.error.empty()) log["error"] = a.error;
    if (!a.callId.empty()) log["callId"] = a.callId;
    store::Resource r{.id = id, .orgId = a.orgId, .kind = "log", .createdAt = started,
                      .updatedAt = started, .body = json::serialize(log), .a1 = a.callId,
                      .a2 = "Webhook", .a3 = a.type};
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(r));
    if (flushing_) return;
    flushing_ = true;
    asio::post(dbPool_, [self = shared_from_this()] { self->flush(); });
}

void LogSink::recordLog(const std::string& orgId, const std::string& callId, const std::string& type,
                        json::object log) {
    std::string id = newId();
    std::string now = isoFromMs(epochMs());
    log["id"] = id;
    log["orgId"] = orgId;
    log["time"] = now;
    log["type"] = type;
    if (!callId.empty()) log["callId"] = callId;
    log["createdAt"] = now;
    store::Resource r{.id = id, .orgId = orgId, .kind = "log", .createdAt = now, .updatedAt = now,
                      .body = json::serialize(log), .a1 = callId, .a2 = type, .a3 = {}};
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(r));
    if (flushing_) return;
    flushing_ = true;
    asio::post(dbPool_, [self = shared_from_this()] { self->flush(); });
}

void LogSink::flush() {
    for (;;) {
        std::vector<store::Resource> batch;
        {
            std::lock_guard lock(mu_);
            batch.swap(queue_);
            if (batch.empty()) {
                flushing_ = false;
                return;
            }
        }
        try {
            store_.insertResources(batch);
        } catch (const std::exception& e) {
            spdlog::warn("webhooks: cannot record {} delivery logs: {}", batch.size(), e.what());
        }
    }
}

// ---- Requests whose answer the call needs --------------------------------------------

asio::awaitable<Reply> request(Target target, std::string body, std::string type,
                               std::string orgId, std::string callId,
                               std::shared_ptr<LogSink> logs, double timeoutSeconds) {
    std::string eventId = newId();
    double timeout = timeoutSeconds > 0 ? timeoutSeconds : target.timeoutSeconds;
    int64_t startedMs = epochMs();
    auto t0 = std::chrono::steady_clock::now();
    auto req = makeRequest(target, body, eventId, timeout);
    auto res = co_await net::fetch(std::move(req));
    Reply reply;
    reply.latencyMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    reply.status = res.status;
    reply.error = describe(res);
    if (reply.error.empty()) {
        boost::system::error_code ec;
        reply.json = json::parse(res.body, ec);
        if (ec) {
            reply.json = nullptr;
            reply.error = "the response is not JSON: " + res.body.substr(0, 120);
        }
    }
    if (!reply.ok())
        spdlog::warn(R"({{"msg":"webhook request failed","type":"{}","callId":"{}","url":"{}","error":{}}})",
                     type, callId, target.url, json::serialize(json::value(reply.error)));
    if (logs)
        logs->record({.orgId = orgId, .callId = callId, .type = type, .url = target.url,
                      .requestBody = body, .responseBody = res.body.substr(0, 4096),
                      .error = reply.error, .eventId = eventId, .status = res.status,
                      .attempt = 1, .startedMs = startedMs, .latencyMs = reply.latencyMs});
    co_return reply;
}

// ---- The outbox ------------------------------------------------------------------------

struct Outbox::State {
    State(store::Store& s, asio::thread_pool& p, asio::any_io_executor e, OutboxOptions o)
        : store(s), dbPool(p), ex(std::move(e)), opts(o), wake(ex) {}

    store::Store& store;
    asio::thread_pool& dbPool;
    asio::any_io_executor ex;
    OutboxOptions opts;
    std::shared_ptr<LogSink> logs;
    Outbox::Stats stats;

    // enqueue() side, any thread
    std::mutex mu;
    std::deque<store::OutboxEvent> queue;  // at most opts.maxQueued
    bool writerRunning = false;
    bool dropping = false;  // full: the drop was logged, until the queue empties
    std::atomic<int64_t> stored{0};

    // the delivery loop, on ex only
    bool running = false;
    bool wakeRequested = false;
    std::set<std::string> inflightKeys;
    std::atomic<int> delivering{0};  // deliverOne() calls not finished (any thread reads it)
    // Keys whose delivery finished while a dueEvents query ran: that query may have read
    // the event before its update, so its rows for these keys are stale.
    bool querying = false;
    std::set<std::string> finishedDuringQuery;
    asio::steady_timer wake;

    void poke() {
        wakeRequested = true;
        wake.cancel();
    }
};

Outbox::Outbox(store::Store& store, asio::thread_pool& dbPool, asio::any_io_executor ex,
               OutboxOptions opts)
    : st_(std::make_shared<State>(store, dbPool, std::move(ex), opts)),
      logs_(std::make_shared<LogSink>(store, dbPool)),
      stats_(st_->stats) {
    st_->logs = logs_;
}

// The loop's executor may be gone by now (the server stopped its loops): stop() first.
Outbox::~Outbox() = default;

void Outbox::start() {
    auto st = st_;
    asio::post(st->ex, [st] {
        if (st->running) return;
        st->running = true;
        asio::co_spawn(st->ex, deliverer(st), asio::detached);
    });
}

void Outbox::stop() {
    auto st = st_;
    asio::post(st->ex, [st] {
        st->running = false;
        st->wake.cancel();
    });
}

void Outbox::enqueue(const std::string& orgId, const std::string& orderKey, const std::string& type,
                     const Target& target, std::string body, std::string eventId) {
    if (target.empty()) return;
    int64_t now = epochMs();
    store::OutboxEvent e;
    e.id = eventId.empty() ? newId() : std::move(eventId);
    e.orgId = orgId;
    e.orderKey = orderKey.empty() ? e.id : orderKey;
    e.seq = nextSeq();
    e.type = type;
    e.target = json::serialize(target.toJson());
    e.body = std::move(body);
    e.nextAttemptMs = now;
    e.expiresMs = now + st_->opts.expireMs;
    e.createdAt = e.updatedAt = isoFromMs(now);
    bool spawn = false, full = false, firstDrop = false;
    {
        std::lock_guard lock(st_->mu);
        if (st_->queue.size() >= st_->opts.maxQueued) {
            full = true;
            firstDrop = !st_->dropping;
            st_->dropping = true;
        } else {
            st_->queue.push_back(std::move(e));
            ++stats_.enqueued;
            if (!st_->writerRunning) spawn = st_->writerRunning = true;
        }
    }
    if (full) {
        ++stats_.dropped;
        if (firstDrop)
            spdlog::error(R"({{"msg":"webhook events dropped: {} events are waiting for the database to store them; new events are dropped until it does; metric voxa_webhook_events_dropped_total","type":"{}","callId":"{}"}})",
                          st_->opts.maxQueued, type, orderKey);
        return;
    }
    if (spawn) asio::co_spawn(st_->ex, writer(st_), asio::detached);
}

int64_t Outbox::queued() const { return stats_.enqueued.load() - st_->stored.load(); }

asio::awaitable<void> Outbox::flush() {
    int64_t target = stats_.enqueued.load();
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (st_->stored.load() < target) {
        t.expires_after(std::chrono::milliseconds(5));
        co_await t.async_wait(asio::use_awaitable);
    }
}

// Stores what enqueue() queued, up to maxBatch events per transaction. A batch the database
// refuses is stored whole or not at all, and goes back to the front of the queue to be
// stored again, with the same event ids, after a growing pause: storing it twice is
// harmless (insertEvents keeps a row stored already), so a write whose outcome was unknown
// is simply repeated.
asio::awaitable<void> Outbox::writer(std::shared_ptr<State> st) {
    int failures = 0;
    for (;;) {
        std::vector<store::OutboxEvent> batch;
        {
            std::lock_guard lock(st->mu);
            if (st->queue.empty()) {
                st->writerRunning = false;
                if (st->dropping) {
                    st->dropping = false;
                    spdlog::warn(R"({{"msg":"webhook outbox storing again","droppedSoFar":{}}})",
                                 st->stats.dropped.load());
                }
                co_return;
            }
            auto end = st->queue.begin() +
                       static_cast<long>(std::min(st->queue.size(), std::max<size_t>(1, st->opts.maxBatch)));
            batch.assign(std::make_move_iterator(st->queue.begin()), std::make_move_iterator(end));
            st->queue.erase(st->queue.begin(), end);
        }
        std::string error;
        try {
            // (g++ 12: lambdas inside co_await capture by reference only, pitfall 3.)
            auto& s = st->store;
            co_await offload(st->dbPool, [&] {
                s.insertEvents(batch);
                return true;
            });
        } catch (const std::exception& e) {
            error = e.what();
            if (error.empty()) error = "unknown error";
        }
        if (!error.empty()) {
            // Keep the events in memory, first in line, and try again.
            ++st->stats.storeErrors;
            int delay = std::min(1 << std::min(failures, 4), 10);
            ++failures;
            spdlog::error(R"({{"msg":"webhook events not stored; retrying","events":{},"retryInSeconds":{},"error":{}}})",
                          batch.size(), delay, json::serialize(json::value(error)));
            {
                std::lock_guard lock(st->mu);
                st->queue.insert(st->queue.begin(), std::make_move_iterator(batch.begin()),
                                 std::make_move_iterator(batch.end()));
            }
            asio::steady_timer t(st->ex);
            t.expires_after(std::chrono::seconds(delay));
            co_await t.async_wait(asio::use_awaitable);
            continue;
        }
        if (failures > 0)
            spdlog::info(R"({{"msg":"webhook events stored again","afterFailures":{}}})", failures);
        failures = 0;
        st->stored += static_cast<int64_t>(batch.size());
        st->poke();
    }
}

asio::awaitable<void> Outbox::deliverer(std::shared_ptr<State> st) {
    if (st->opts.releaseClaimsAtStart) {
        try {
            auto& s = st->store;
            co_await offload(st->dbPool, [&] {
                s.releaseClaims();
                return true;
            });
        } catch (const std::exception& e) {
            spdlog::error("webhooks: cannot release claims: {}", e.what());
        }
    }
    auto lastPrune = std::chrono::steady_clock::now();
    while (st->running) {
        st->wakeRequested = false;
        if (std::chrono::steady_clock::now() - lastPrune > std::chrono::minutes(10)) {
            // Delivered and failed events are kept a day (for inspection), then dropped.
            lastPrune = std::chrono::steady_clock::now();
            try {
                auto& s = st->store;
                std::string before = isoFromMs(epochMs() - st->opts.keepFinishedMs);
                std::string logsBefore = isoFromMs(epochMs() - st->opts.keepLogsMs);
                auto [n, logs] = co_await offload(st->dbPool, [&] {
                    return std::make_pair(s.pruneEvents(before), s.deleteResourcesBefore("log", logsBefore));
                });
                if (n > 0 || logs > 0)
                    spdlog::info(R"({{"msg":"webhook outbox pruned","events":{},"logs":{}}})", n, logs);
            } catch (const std::exception& e) {
                spdlog::warn("webhooks: cannot prune the outbox: {}", e.what());
            }
        }
        size_t room = st->opts.maxInFlight > st->inflightKeys.size()
                          ? st->opts.maxInFlight - st->inflightKeys.size()
                          : 0;
        if (room > 0) {
            std::vector<store::OutboxEvent> due;
            try {
                auto& s = st->store;
                int64_t now = epochMs();
                int limit = static_cast<int>(room + st->inflightKeys.size());
                st->querying = true;
                st->finishedDuringQuery.clear();
                due = co_await offload(st->dbPool, [&] { return s.dueEvents(now, limit); });
            } catch (const std::exception& e) {
                spdlog::error("webhooks: cannot read the outbox: {}", e.what());
            }
            st->querying = false;
            for (auto& e : due) {
                if (st->inflightKeys.size() >= st->opts.maxInFlight) break;
                if (st->finishedDuringQuery.count(e.orderKey)) {
                    st->wakeRequested = true;  // look again with fresh rows
                    continue;
                }
                if (!st->inflightKeys.insert(e.orderKey).second) continue;
                asio::co_spawn(st->ex, deliverOne(st, std::move(e)), asio::detached);
            }
        }
        if (st->wakeRequested || !st->running) continue;
        st->wake.expires_after(std::chrono::milliseconds(st->opts.pollMs));
        boost::system::error_code ec;
        co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

int Outbox::delivering() const { return st_->delivering.load(); }

asio::awaitable<void> Outbox::deliverOne(std::shared_ptr<State> st, store::OutboxEvent e) {
    std::string key = e.orderKey;
    ++st->delivering;
    struct Done {
        std::atomic<int>& n;
        ~Done() { --n; }
    } done{st->delivering};
    try {
        Target t = Target::fromJson(json::parse(e.target).as_object());
        int64_t now = epochMs();
        auto& s = st->store;
        int64_t until = now + static_cast<int64_t>(t.timeoutSeconds * 1000) + 5000;
        // (g++ 12: no co_await inside || or ?:, UBSan caught a garbage bool from one.)
        bool claimed = true;
        if (st->opts.claims)
            claimed = co_await offload(st->dbPool, [&] { return s.claimEvent(e.id, now, until); });
        if (claimed) {
            int64_t startedMs = epochMs();
            auto t0 = std::chrono::steady_clock::now();
            auto req = makeRequest(t, e.body, e.id, t.timeoutSeconds);
            auto res = co_await net::fetch(std::move(req));
            double latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            ++st->stats.attempts;
            e.attempts += 1;
            e.lastStatus = res.status;
            e.lastError = describe(res);
            int64_t after = epochMs();
            e.updatedAt = isoFromMs(after);
            if (res.success()) {
                e.status = "delivered";
                ++st->stats.delivered;
            } else {
                int retry = e.attempts;  // the retry this would be
                bool more = retryable(res) && (t.backoff.maxRetries < 0 || retry <= t.backoff.maxRetries);
                int64_t next = after + static_cast<int64_t>(t.backoff.delaySeconds(retry) * 1000);
                if (more && next <= e.expiresMs) {
                    e.nextAttemptMs = next;
                } else {
                    e.status = "failed";
                    ++st->stats.failed;
                    spdlog::warn(R"({{"msg":"webhook event given up","eventId":"{}","type":"{}","attempts":{},"error":{}}})",
                                 e.id, e.type, e.attempts, json::serialize(json::value(e.lastError)));
                }
            }
            st->logs->record({.orgId = e.orgId, .callId = e.orderKey == e.id ? "" : e.orderKey,
                              .type = e.type, .url = t.url, .requestBody = e.body,
                              .responseBody = res.body.substr(0, 4096), .error = e.lastError,
                              .eventId = e.id, .status = res.status, .attempt = e.attempts,
                              .startedMs = startedMs, .latencyMs = latency});
            co_await recordOutcome(st, std::move(e));
        }
    } catch (const std::exception& ex) {
        spdlog::error("webhooks: delivery of {} failed: {}", e.id, ex.what());
    }
    st->inflightKeys.erase(key);
    if (st->querying) st->finishedDuringQuery.insert(key);
    st->poke();
}

// An attempt's outcome must be stored, or a delivered event would be sent again: when the
// database refuses the update, it is repeated (it sets absolute values, so repeating it is
// harmless) after a growing pause, the call's later events waiting behind it, until it is
// stored or the outbox stops (then a pending row may be delivered once more: at least once).
asio::awaitable<void> Outbox::recordOutcome(std::shared_ptr<State> st, store::OutboxEvent e) {
    auto& s = st->store;
    for (int failures = 0;; ++failures) {
        std::string error;
        try {
            co_await offload(st->dbPool, [&] {
                s.updateEvent(e);
                return true;
            });
            co_return;
        } catch (const std::exception& ex) {
            error = ex.what();
        }
        ++st->stats.storeErrors;
        if (!st->running) {
            spdlog::error(R"({{"msg":"webhook outcome not stored at shutdown","eventId":"{}","status":"{}","error":{}}})",
                          e.id, e.status, json::serialize(json::value(error)));
            co_return;
        }
        int delay = std::min(1 << std::min(failures, 4), 10);
        spdlog::error(R"({{"msg":"webhook outcome not stored; retrying","eventId":"{}","status":"{}","retryInSeconds":{},"error":{}}})",
                      e.id, e.status, delay, json::serialize(json::value(error)));
        asio::steady_timer t(st->ex);
        t.expires_after(std::chrono::seconds(delay));
        co_await t.async_wait(asio::use_awaitable);
    }
}

}  // namespace voxa::webhooks

// The keep-alive connection pool behind fetch() (net/pool.h says what it guarantees).
#include "net/pool.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/metrics.h"
#include "net/client_detail.h"

namespace voxa::net {

namespace asio = boost::asio;

namespace {

std::mutex gOptionsMutex;
PoolOptions gOptions;

// How often idle connections are checked (timed out, or closed by the server) while a pool
// has any: about a second, finer for short idle timeouts (tests).
std::chrono::milliseconds sweepEvery() {
    auto every = poolOptions().idleTimeout / 2;
    return std::clamp(every, std::chrono::milliseconds(20), std::chrono::milliseconds(1'000));
}

struct Metrics {
    prometheus::Counter& hits = metrics::counter(
        "voxa_http_pool_requests_total",
        "Outbound HTTP requests by whether they found an idle pooled connection (hit) or opened one (miss)",
        {{"result", "hit"}});
    prometheus::Counter& misses = metrics::counter("voxa_http_pool_requests_total", "", {{"result", "miss"}});
    prometheus::Gauge& idle = metrics::gauge(
        "voxa_http_pool_connections",
        "Outbound HTTP connections held by the pools: idle (ready for a request) or active (in use or connecting)",
        {{"state", "idle"}});
    prometheus::Gauge& active = metrics::gauge("voxa_http_pool_connections", "", {{"state", "active"}});
    prometheus::Counter& retries = metrics::counter(
        "voxa_http_pool_retries_total",
        "Requests sent again on a fresh connection after a reused one failed before any response byte");
    prometheus::Counter& warmed = metrics::counter(
        "voxa_http_pool_warmed_total", "Connections opened ahead of a request by net::warm");
    prometheus::Counter& resumed = metrics::counter(
        "voxa_http_pool_tls_handshakes_total",
        "TLS handshakes of outbound HTTP connections, by whether a session was resumed", {{"resumed", "true"}});
    prometheus::Counter& full = metrics::counter("voxa_http_pool_tls_handshakes_total", "", {{"resumed", "false"}});
};

Metrics& stats() {
    static Metrics m;
    return m;
}

// ---- TLS sessions: the last few resumable sessions each host's server gave, process-wide ----

// TLS 1.3 tickets are meant for one connection each (RFC 8446 C.4), and some servers refuse
// a second use: an offered one is taken out while another remains; the last one is offered
// again rather than nothing (most servers accept it). TLS 1.2 sessions are reusable.
class TlsSessions {
public:
    ~TlsSessions() {
        for (auto& [key, list] : sessions_)
            for (auto* s : list) SSL_SESSION_free(s);
    }
    void store(const std::string& key, SSL_SESSION* s) {  // takes the reference
        std::lock_guard lock(m_);
        if (sessions_.size() >= kMaxHosts && !sessions_.count(key)) {
            for (auto& [k, list] : sessions_)
                for (auto* old : list) SSL_SESSION_free(old);
            sessions_.clear();
        }
        auto& list = sessions_[key];
        list.push_back(s);
        if (list.size() > kPerHost) {
            SSL_SESSION_free(list.front());
            list.pop_front();
        }
    }
    SSL_SESSION* get1(const std::string& key) {  // a reference the caller frees
        std::lock_guard lock(m_);
        auto it = sessions_.find(key);
        if (it == sessions_.end() || it->second.empty()) return nullptr;
        auto& list = it->second;
        SSL_SESSION* s = list.back();
        if (SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION && list.size() > 1) {
            list.pop_back();
            return s;
        }
        SSL_SESSION_up_ref(s);
        return s;
    }

private:
    static constexpr size_t kMaxHosts = 1024;
    static constexpr size_t kPerHost = 4;
    std::mutex m_;
    std::unordered_map<std::string, std::deque<SSL_SESSION*>> sessions_;
};

TlsSessions& tlsSessions() {
    static TlsSessions s;
    return s;
}

int keyIndex() {
    static int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// OpenSSL's new-session callback: TLS 1.3 tickets arrive after the handshake, with the
// first read. Connections that are not fetch()'s (WebSockets) carry no key: not kept.
// A copy is kept: OpenSSL marks the connection's own session not resumable when the
// connection ends without a TLS shutdown, which is how pooled connections end.
int onNewSession(SSL* ssl, SSL_SESSION* session) {
    auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, keyIndex()));
    if (!key || !SSL_SESSION_is_resumable(session)) return 0;
    if (SSL_SESSION* copy = SSL_SESSION_dup(session)) tlsSessions().store(*key, copy);
    return 0;
}

// An idle connection is worth a request if the server has not closed it: no FIN/RST, and
// for plain HTTP no stray bytes (a TLS connection may hold session tickets not yet read).
bool usable(detail::Connection& c) {
    if (!c.lowest().is_open()) return false;
    pollfd p{c.lowest().native_handle(), static_cast<short>(POLLIN | POLLRDHUP), 0};
    int n = ::poll(&p, 1, 0);
    if (n < 0) return false;
    if (n == 0) return true;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return false;
    return c.stream.has_value();
}

void close(detail::Connection& c) {
    boost::system::error_code ignored;
    c.timer.cancel();
    c.lowest().close(ignored);
}

}  // namespace

void setPoolOptions(const PoolOptions& options) {
    std::lock_guard lock(gOptionsMutex);
    gOptions = options;
}

PoolOptions poolOptions() {
    std::lock_guard lock(gOptionsMutex);
    return gOptions;
}

namespace detail {

struct HostState {
    std::deque<std::shared_ptr<Connection>> idle;  // oldest first
    size_t open = 0;     // slots taken: idle + in use + connecting
    size_t warming = 0;  // of those, opened by warm() and not yet idle
    std::deque<std::shared_ptr<asio::steady_timer>> waiters;
};

// One per execution context (PoolService). The mutex is only ever held for bookkeeping,
// never across I/O; sockets are touched by the coroutine holding their lease, or, idle, here.
class Pool : public std::enable_shared_from_this<Pool> {
public:
    explicit Pool(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    std::mutex m;
    std::unordered_map<std::string, HostState> hosts;
    bool closed = false;

    // Frees a slot or hands a connection back; wakes one waiter of the host either way.
    void release(const std::string& key, std::shared_ptr<Connection> c, bool keep);
    void wakeOne(HostState& h) {
        if (h.waiters.empty()) return;
        auto w = std::move(h.waiters.front());
        h.waiters.pop_front();
        // On the waiter's own executor: a timer is not thread-safe.
        asio::post(w->get_executor(), [w] { w->cancel(); });
    }
    void forgetIfUnused(std::unordered_map<std::string, HostState>::iterator it) {
        auto& h = it->second;
        if (h.open == 0 && h.waiters.empty()) hosts.erase(it);
    }
    // Drops the idle connections that timed out or that the server closed.
    void sweep();
    void shutdown();
    const asio::any_io_executor& executor() const { return ex_; }

private:
    asio::any_io_executor ex_;
};

namespace {

// Posts sweep() to every pool holding idle connections, from a thread of its own: a timer
// on the loop would count as work, and keep io_context::run() from returning (voxa talk,
// tests) while a connection sits idle. Pools register while they hold idle connections.
class Sweeper {
public:
    static Sweeper& instance() {
        static Sweeper s;
        return s;
    }
    void add(const std::shared_ptr<Pool>& pool) {
        std::lock_guard lock(m_);
        if (stop_) return;
        pools_[pool.get()] = pool;
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        cv_.notify_all();
    }
    void remove(Pool* pool) {
        std::lock_guard lock(m_);
        pools_.erase(pool);
    }
    ~Sweeper() {
        {
            std::lock_guard lock(m_);
            stop_ = true;
            pools_.clear();
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::unique_lock lock(m_);
        while (!stop_) {
            if (pools_.empty()) {
                cv_.wait(lock, [&] { return stop_ || !pools_.empty(); });
                continue;
            }
            cv_.wait_for(lock, sweepEvery(), [&] { return stop_; });
            // Under the lock: a pool unregisters (its context going away) before this could
            // post to a destroyed context.
            for (auto& [raw, weak] : pools_)
                if (auto pool = weak.lock())
                    asio::post(pool->executor(), [weak = weak] {
                        if (auto p = weak.lock()) p->sweep();
                    });
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::map<Pool*, std::weak_ptr<Pool>> pools_;
    std::thread thread_;
    bool stop_ = false;
};

}  // namespace

void Pool::release(const std::string& key, std::shared_ptr<Connection> c, bool keep) {
    std::lock_guard lock(m);
    stats().active.Decrement();
    auto it = hosts.find(key);
    if (it == hosts.end()) {  // shut down meanwhile
        if (c) close(*c);
        return;
    }
    auto& h = it->second;
    // Over maxIdlePerHost only for a waiter, who takes it at once.
    if (keep && c && !closed && (h.idle.size() < poolOptions().maxIdlePerHost || !h.waiters.empty())) {
        c->timer.cancel();
        c->idleSince = Clock::now();
        h.idle.push_back(std::move(c));
        stats().idle.Increment();
        Sweeper::instance().add(shared_from_this());
    } else {
        if (c) close(*c);
        --h.open;
    }
    wakeOne(h);
    forgetIfUnused(it);
}

void Pool::sweep() {
    std::lock_guard lock(m);
    if (closed) return;
    auto limits = poolOptions();
    auto now = Clock::now();
    bool anyIdle = false;
    for (auto it = hosts.begin(); it != hosts.end();) {
        auto& h = it->second;
        size_t before = h.idle.size();
        size_t excess = before > limits.maxIdlePerHost ? before - limits.maxIdlePerHost : 0;
        std::erase_if(h.idle, [&](const std::shared_ptr<Connection>& c) {  // oldest first
            if (excess == 0 && c->idleSince + limits.idleTimeout > now && usable(*c)) return false;
            if (excess > 0) --excess;
            close(*c);
            return true;
        });
        size_t dropped = before - h.idle.size();
        stats().idle.Decrement(static_cast<double>(dropped));
        h.open -= dropped;
        for (size_t i = 0; i < dropped; ++i) wakeOne(h);
        anyIdle = anyIdle || !h.idle.empty();
        auto next = std::next(it);
        forgetIfUnused(it);
        it = next;
    }
    if (!anyIdle) Sweeper::instance().remove(this);
}

void Pool::shutdown() {
    Sweeper::instance().remove(this);
    std::lock_guard lock(m);
    closed = true;
    for (auto& [key, h] : hosts) {
        for (auto& c : h.idle) close(*c);
        stats().idle.Decrement(static_cast<double>(h.idle.size()));
        h.idle.clear();
    }
    hosts.clear();
}

namespace {

// The pool lives as long as its execution context; shutdown() (the context going away)
// closes the idle connections while the socket services still exist.
class PoolService final : public asio::execution_context::service {
public:
    using key_type = PoolService;
    static inline asio::execution_context::id id;

    explicit PoolService(asio::execution_context& ctx) : service(ctx) {}

    std::shared_ptr<Pool> get(const asio::any_io_executor& ex) {
        std::lock_guard lock(m_);
        if (!pool_) pool_ = std::make_shared<Pool>(ex);
        return pool_;
    }

private:
    void shutdown() override {
        std::lock_guard lock(m_);
        if (pool_) pool_->shutdown();
    }

    std::mutex m_;
    std::shared_ptr<Pool> pool_;
};

std::shared_ptr<Pool> poolOf(const asio::any_io_executor& ex) {
    auto& ctx = asio::query(ex, asio::execution::context);
    return asio::use_service<PoolService>(ctx).get(ex);
}

}  // namespace

// ---- Lease ------------------------------------------------------------------------------

Lease::Lease(std::shared_ptr<Pool> pool, std::string key, std::shared_ptr<Connection> c)
    : conn(std::move(c)), reused(conn != nullptr), pool_(std::move(pool)), key_(std::move(key)) {}

Lease::Lease(Lease&& other) noexcept
    : conn(std::move(other.conn)), reused(other.reused), pool_(std::move(other.pool_)),
      key_(std::move(other.key_)) {}

Lease::~Lease() {
    if (pool_) pool_->release(key_, std::move(conn), false);
}

void Lease::keep() {
    if (!pool_) return;
    auto pool = std::move(pool_);
    pool->release(key_, std::move(conn), true);
}

asio::awaitable<Acquired> acquire(asio::any_io_executor ex, std::string key,
                                  Clock::time_point deadline, std::shared_ptr<CancelToken> cancel,
                                  bool takeIdle) {
    auto pool = poolOf(ex);
    for (;;) {
        if (cancel && cancel->cancelled()) co_return Acquired{{}, HttpClientResult::ErrorKind::Cancelled};
        auto waiter = std::make_shared<asio::steady_timer>(ex, deadline);
        {
            std::lock_guard lock(pool->m);
            auto& h = pool->hosts[key];
            while (takeIdle && !h.idle.empty()) {
                auto c = std::move(h.idle.back());
                h.idle.pop_back();
                stats().idle.Decrement();
                if (!poolOptions().checkBeforeReuse || usable(*c)) {
                    stats().active.Increment();
                    stats().hits.Increment();
                    co_return Acquired{Lease(pool, key, std::move(c))};
                }
                close(*c);
                --h.open;
            }
            if (h.open < poolOptions().maxPerHost) {
                ++h.open;
                stats().active.Increment();
                stats().misses.Increment();
                co_return Acquired{Lease(pool, key, nullptr)};
            }
            if (Clock::now() >= deadline) co_return Acquired{{}, HttpClientResult::ErrorKind::Timeout};
            h.waiters.push_back(waiter);
        }
        if (cancel) cancel->setHook([waiter] { waiter->cancel(); });
        co_await waiter->async_wait(asio::as_tuple(asio::use_awaitable));
        if (cancel) cancel->setHook(nullptr);
        std::lock_guard lock(pool->m);
        if (auto it = pool->hosts.find(key); it != pool->hosts.end()) {
            std::erase(it->second.waiters, waiter);
            pool->forgetIfUnused(it);
        }
    }
}

void countRetry() { stats().retries.Increment(); }

void enableTlsSessionCache(SSL_CTX* ctx) {
    keyIndex();
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, onNewSession);
}

void offerTlsSession(SSL* ssl, const std::string& key) {
    // The key outlives the SSL object (Connection declares it first).
    SSL_set_ex_data(ssl, keyIndex(), const_cast<std::string*>(&key));
    if (SSL_SESSION* s = tlsSessions().get1(key)) {
        SSL_set_session(ssl, s);
        SSL_SESSION_free(s);
    }
}

void noteTlsHandshake(SSL* ssl) {
    (SSL_session_reused(ssl) ? stats().resumed : stats().full).Increment();
}

// Opens one connection into the idle list, unless one is idle or being opened already.
asio::awaitable<void> warmOne(Target t, UrlSource source, bool verifyTls) {
    auto ex = co_await asio::this_coro::executor;
    auto pool = poolOf(ex);
    std::string key = poolKey(t, source, verifyTls);
    {
        std::lock_guard lock(pool->m);
        if (pool->closed) co_return;
        auto& h = pool->hosts[key];
        if (!h.idle.empty() || h.warming > 0 || h.open >= poolOptions().maxPerHost) {
            pool->forgetIfUnused(pool->hosts.find(key));
            co_return;
        }
        ++h.open;
        ++h.warming;
        stats().active.Increment();
    }
    auto c = std::make_shared<Connection>(ex, t.tls, key);
    Lease lease(pool, key, c);
    auto r = co_await openConnection(c, t, std::chrono::milliseconds(10'000), verifyTls, source, nullptr);
    c->timer.cancel();
    {
        std::lock_guard lock(pool->m);
        if (auto it = pool->hosts.find(key); it != pool->hosts.end()) --it->second.warming;
    }
    if (!r.ok()) {
        spdlog::debug("warming a connection to {}:{} failed: {}", t.host, t.port, r.error);
        co_return;  // the lease closes it
    }
    stats().warmed.Increment();
    lease.keep();
}

}  // namespace detail

void warm(const asio::any_io_executor& executor, std::string_view url, UrlSource source,
          bool verifyTls) {
    auto t = detail::parseTarget(url);
    if (!t || !executor) return;
    asio::co_spawn(executor, detail::warmOne(std::move(*t), source, verifyTls), asio::detached);
}

PoolHostStats poolStats(const asio::any_io_executor& executor, std::string_view url,
                        UrlSource source, bool verifyTls) {
    auto t = detail::parseTarget(url);
    if (!t) return {};
    auto pool = detail::poolOf(executor);
    std::lock_guard lock(pool->m);
    auto it = pool->hosts.find(detail::poolKey(*t, source, verifyTls));
    if (it == pool->hosts.end()) return {};
    return {it->second.idle.size(), it->second.open};
}

}  // namespace voxa::net

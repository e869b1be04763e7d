// Resolver: asynchronous DNS for outbound connections (webhooks, tools, model and provider
// URLs) through c-ares, with a per-lookup timeout, cancellation and a short cache.
//
//   // once, at start (voxa serve --dns-servers 10.0.0.2:53; empty = /etc/resolv.conf):
//   auto dns = net::installResolver({.servers = cfg.dnsServers});  // uninstalled on destruction
//   // on any event loop:
//   auto lookup = net::resolver()->start(co_await asio::this_coro::executor, "hooks.example.com");
//   token->setHook([lookup] { lookup->cancel(); });              // from the same loop
//   net::Resolved r = co_await lookup->wait(std::chrono::seconds(10));
//   if (r.error) ...;                     // asio::error::timed_out, operation_aborted, host_not_found
//   for (auto& a : r.addresses) ...       // check each with egressPolicy()->permits(a) before connecting
//
// Why: asio's resolver runs getaddrinfo on one background thread per io_context, one lookup
// at a time, and a lookup cannot be cancelled, so one host whose DNS never answers held up
// every other lookup of that loop (the whole webhook outbox, other calls' model requests).
// Here every lookup is a non-blocking c-ares query; a slow one delays only its own waiters.
//
// How: one resolver thread runs its own io_context, which watches the c-ares sockets and
// timeouts. Concurrent lookups of one name share one query. Answers are cached (positive:
// the record's TTL, at most positiveTtl; failures: negativeTtl) in a bounded cache. A
// waiter's timeout or cancel() completes its wait at once; the query itself ends by c-ares'
// own timeouts (attemptTimeout, tries). Literal IP addresses and "localhost" (RFC 6761)
// never reach DNS. Nothing here checks the egress policy: callers check every address.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace voxa::net {

struct ResolverOptions {
    /// "IP[:PORT][,IP[:PORT]...]" (IPv6 as [addr]:port); empty = the system's resolv.conf.
    std::string servers;
    std::chrono::milliseconds attemptTimeout{1500};  // first try per server; c-ares doubles it
    int tries = 2;                                   // per server
    std::chrono::seconds positiveTtl{30};            // cap on a record's TTL
    std::chrono::seconds negativeTtl{5};             // failed lookups (NXDOMAIN, no answer)
    size_t cacheEntries = 1024;                      // names kept; the oldest go first
    size_t maxQueries = 256;                         // distinct names being looked up at once
    size_t maxWaiters = 1024;                        // waiters on one name
};

struct Resolved {
    boost::system::error_code error;
    std::vector<boost::asio::ip::address> addresses;  // IPv4 first
    bool cached = false;                              // answered without a query
};

/// Counters since start, over all resolvers (for /metrics).
struct ResolverStats {
    uint64_t queries = 0;    // c-ares queries started
    uint64_t cacheHits = 0;  // lookups answered from the cache
    uint64_t failures = 0;   // queries that ended without an address
    uint64_t timeouts = 0;   // waits that ran out of time
    uint64_t refused = 0;    // lookups refused because maxQueries or maxWaiters was reached
};
ResolverStats resolverStats();

class Resolver;

/// One caller's wait for one name. Use it on one executor (the one passed to start()).
class DnsLookup : public std::enable_shared_from_this<DnsLookup> {
public:
    DnsLookup(boost::asio::any_io_executor ex, std::string host);
    /// Completes with the answer, or asio::error::timed_out after `timeout`, or
    /// operation_aborted after cancel(). Await it once.
    boost::asio::awaitable<Resolved> wait(std::chrono::milliseconds timeout);
    /// Ends the wait at once (on the lookup's executor). Safe before or after wait().
    void cancel();
    const std::string& host() const { return host_; }

private:
    friend class Resolver;
    /// What the resolver thread holds: no asio object, so releasing the last reference there
    /// (a caller that gave up, its loop possibly gone) destroys nothing of the caller's loop.
    struct Slot {
        std::mutex mu;
        std::optional<Resolved> result;
        bool cancelled = false;
        boost::asio::any_io_executor ex;
        std::weak_ptr<DnsLookup> owner;
        void deliver(Resolved r);  // any thread
    };
    void preset(Resolved r);  // before anyone waits
    std::string host_;
    boost::asio::steady_timer wake_;  // the wait sleeps on it; deliver() cancels it
    std::shared_ptr<Slot> slot_ = std::make_shared<Slot>();
};

class Resolver {
public:
    /// Throws std::runtime_error if c-ares cannot start or `servers` does not parse.
    explicit Resolver(ResolverOptions opts = {});
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    /// Starts (or joins) a lookup of `host` (no brackets around IPv6) for a waiter on `ex`.
    std::shared_ptr<DnsLookup> start(boost::asio::any_io_executor ex, std::string host);
    /// co_await resolve(host, timeout): start() and wait() on the current executor.
    boost::asio::awaitable<Resolved> resolve(std::string host, std::chrono::milliseconds timeout);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The process-wide resolver: the installed one, or a default (system servers) made on first
/// use. Safe from any thread.
std::shared_ptr<Resolver> resolver();

/// Installs a resolver until the returned guard is destroyed, which uninstalls it and joins
/// its thread once the last user lets go. Destroy it before the event loops that await it.
class ResolverInstall {
public:
    explicit ResolverInstall(std::shared_ptr<Resolver> r);
    ~ResolverInstall();
    ResolverInstall(const ResolverInstall&) = delete;
    ResolverInstall& operator=(const ResolverInstall&) = delete;
};
std::unique_ptr<ResolverInstall> installResolver(ResolverOptions opts);

}  // namespace voxa::net

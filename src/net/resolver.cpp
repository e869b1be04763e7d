#include "net/resolver.h"

#include <ares.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace voxa::net {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<uint64_t> gQueries{0}, gCacheHits{0}, gFailures{0}, gTimeouts{0}, gRefused{0};

std::string lowerName(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!out.empty() && out.back() == '.') out.pop_back();  // "example.com." is the same name
    return out;
}

// c-ares statuses as the error codes the callers already report.
error_code toError(int status) {
    switch (status) {
        case ARES_SUCCESS: return {};
        case ARES_ENOTFOUND:
        case ARES_ENODATA:
        case ARES_ENONAME: return asio::error::host_not_found;
        case ARES_ETIMEOUT:
        case ARES_ECONNREFUSED:
        case ARES_ESERVFAIL: return asio::error::host_not_found_try_again;
        case ARES_ECANCELLED:
        case ARES_EDESTRUCTION: return asio::error::operation_aborted;
        case ARES_ENOMEM: return asio::error::no_memory;
        default: return asio::error::no_recovery;
    }
}

Resolved failed(error_code ec) {
    Resolved r;
    r.error = ec;
    return r;
}

// Addresses known without a query (a literal, localhost).
Resolved known(std::vector<asio::ip::address> addresses) {
    Resolved r;
    r.addresses = std::move(addresses);
    r.cached = true;
    return r;
}

}  // namespace

ResolverStats resolverStats() {
    return {.queries = gQueries.load(), .cacheHits = gCacheHits.load(), .failures = gFailures.load(),
            .timeouts = gTimeouts.load(), .refused = gRefused.load()};
}

// --- DnsLookup: the caller's side ------------------------------------------------------

DnsLookup::DnsLookup(asio::any_io_executor ex, std::string host)
    : host_(std::move(host)), wake_(ex) {
    slot_->ex = std::move(ex);
}

asio::awaitable<Resolved> DnsLookup::wait(std::chrono::milliseconds timeout) {
    auto self = shared_from_this();  // deliver() may come from the resolver thread meanwhile
    Slot& s = *slot_;
    {
        std::lock_guard lock(s.mu);
        if (s.result) co_return *s.result;
        if (s.cancelled) co_return failed(asio::error::operation_aborted);
    }
    // deliver() posts wake_.cancel() to this executor, so it cannot run between the check
    // above and this wait: an answer that comes now still ends the wait.
    wake_.expires_after(timeout);
    auto [ec] = co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(s.mu);
    if (s.result) co_return *s.result;
    if (s.cancelled) co_return failed(asio::error::operation_aborted);
    if (!ec) {
        gTimeouts.fetch_add(1, std::memory_order_relaxed);
        co_return failed(asio::error::timed_out);
    }
    co_return failed(asio::error::operation_aborted);
}

void DnsLookup::cancel() {
    {
        std::lock_guard lock(slot_->mu);
        slot_->cancelled = true;
    }
    wake_.cancel();
}

void DnsLookup::preset(Resolved r) {
    std::lock_guard lock(slot_->mu);
    slot_->result = std::move(r);
}

void DnsLookup::Slot::deliver(Resolved r) {
    {
        std::lock_guard lock(mu);
        if (result) return;
        result = std::move(r);
    }
    // Only the lookup's own loop touches its timer (and may hold the last reference to it).
    // A caller that is gone needs no wake-up.
    if (owner.expired()) return;
    asio::post(ex, [w = owner] {
        if (auto self = w.lock()) self->wake_.cancel();
    });
}

// --- Resolver: the c-ares side, all on the resolver thread -----------------------------

struct Resolver::Impl {
    struct CacheEntry {
        Resolved answer;
        Clock::time_point expires;
    };
    struct Query {
        std::vector<std::weak_ptr<DnsLookup::Slot>> waiters;  // a waiter that gave up is gone
    };
    struct Arg {  // what an answer callback needs
        Impl* self;
        std::string name;
    };
    struct Socket {
        std::unique_ptr<asio::posix::stream_descriptor> fd;
        uint64_t generation = 0;
        bool wantRead = false, wantWrite = false;
        bool waitingRead = false, waitingWrite = false;
    };

    ResolverOptions opts;
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    asio::steady_timer timer{io};
    ares_channel channel = nullptr;
    std::map<ares_socket_t, Socket> sockets;
    uint64_t generations = 0;
    std::unordered_map<std::string, Query> queries;  // by name, resolver thread only
    std::thread thread;

    std::mutex cacheMu;
    std::unordered_map<std::string, CacheEntry> cache;

    explicit Impl(ResolverOptions o) : opts(std::move(o)) {
        static const int init = ares_library_init(ARES_LIB_INIT_ALL);
        if (init != ARES_SUCCESS) throw std::runtime_error("c-ares: " + std::string(ares_strerror(init)));
        ares_options ao{};
        ao.timeout = static_cast<int>(opts.attemptTimeout.count());
        ao.tries = std::max(1, opts.tries);
        ao.sock_state_cb = &Impl::onSocketState;
        ao.sock_state_cb_data = this;
        int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
        int st = ares_init_options(&channel, &ao, mask);
        if (st != ARES_SUCCESS) throw std::runtime_error("c-ares: " + std::string(ares_strerror(st)));
        if (!opts.servers.empty()) {
            st = ares_set_servers_ports_csv(channel, opts.servers.c_str());
            if (st != ARES_SUCCESS) {
                ares_destroy(channel);
                throw std::runtime_error("invalid DNS servers '" + opts.servers +
                                         "': " + ares_strerror(st));
            }
        }
        thread = std::thread([this] { io.run(); });
    }

    ~Impl() {
        asio::post(io, [this] {
            ares_destroy(channel);  // completes what is pending with ARES_EDESTRUCTION
            channel = nullptr;
            for (auto& [fd, s] : sockets) s.fd->release();  // c-ares' descriptors, not ours
            sockets.clear();
            timer.cancel();
            work.reset();
        });
        if (thread.joinable()) thread.join();
    }

    // c-ares says which sockets it wants watched; asio waits for them.
    static void onSocketState(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<Impl*>(data);
        if (!readable && !writable) {  // about to be closed by c-ares: stop watching, keep it open
            auto it = self->sockets.find(fd);
            if (it == self->sockets.end()) return;
            error_code ignored;
            it->second.fd->cancel(ignored);
            it->second.fd->release();
            self->sockets.erase(it);
            return;
        }
        auto [it, fresh] = self->sockets.try_emplace(fd);
        auto& s = it->second;
        if (fresh) {
            s.fd = std::make_unique<asio::posix::stream_descriptor>(self->io, fd);
            s.generation = ++self->generations;
        }
        s.wantRead = readable;
        s.wantWrite = writable;
        self->watch(fd);
    }

    void watch(ares_socket_t fd) {
        auto it = sockets.find(fd);
        if (it == sockets.end()) return;
        auto& s = it->second;
        uint64_t gen = s.generation;
        if (s.wantRead && !s.waitingRead) {
            s.waitingRead = true;
            s.fd->async_wait(asio::posix::descriptor_base::wait_read,
                             [this, fd, gen](error_code ec) { ready(fd, gen, true, ec); });
        }
        if (s.wantWrite && !s.waitingWrite) {
            s.waitingWrite = true;
            s.fd->async_wait(asio::posix::descriptor_base::wait_write,
                             [this, fd, gen](error_code ec) { ready(fd, gen, false, ec); });
        }
    }

    void ready(ares_socket_t fd, uint64_t gen, bool read, error_code ec) {
        auto it = sockets.find(fd);
        if (it == sockets.end() || it->second.generation != gen) return;  // closed since
        (read ? it->second.waitingRead : it->second.waitingWrite) = false;
        if (ec || !channel) return;
        ares_process_fd(channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
        watch(fd);  // c-ares may still want it (or the entry is gone)
        rearmTimer();
    }

    // c-ares' own timeouts (retries, the next server) run off this timer.
    void rearmTimer() {
        if (!channel) return;
        timeval tv{};
        timeval* next = ares_timeout(channel, nullptr, &tv);
        if (!next) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(next->tv_sec) +
                            std::chrono::microseconds(next->tv_usec));
        timer.async_wait([this](error_code ec) {
            if (ec || !channel) return;
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            rearmTimer();
        });
    }

    std::optional<Resolved> cached(const std::string& name) {
        std::lock_guard lock(cacheMu);
        auto it = cache.find(name);
        if (it == cache.end()) return std::nullopt;
        if (Clock::now() >= it->second.expires) {
            cache.erase(it);
            return std::nullopt;
        }
        auto r = it->second.answer;
        r.cached = true;
        return r;
    }

    void remember(const std::string& name, const Resolved& r, std::chrono::seconds ttl) {
        if (ttl.count() <= 0 || opts.cacheEntries == 0) return;
        std::lock_guard lock(cacheMu);
        auto now = Clock::now();
        if (cache.size() >= opts.cacheEntries) {
            std::erase_if(cache, [&](auto& e) { return e.second.expires <= now; });
            while (cache.size() >= opts.cacheEntries) {  // still full: drop the soonest to expire
                auto oldest = std::min_element(cache.begin(), cache.end(), [](auto& a, auto& b) {
                    return a.second.expires < b.second.expires;
                });
                cache.erase(oldest);
            }
        }
        cache[name] = {r, now + ttl};
    }

    // On the resolver thread: join the query for `name`, or start one.
    void begin(const std::string& name, std::shared_ptr<DnsLookup::Slot> lookup) {
        auto it = queries.find(name);
        if (it != queries.end()) {
            if (it->second.waiters.size() >= opts.maxWaiters) {
                gRefused.fetch_add(1, std::memory_order_relaxed);
                lookup->deliver(failed(asio::error::no_buffer_space));
                return;
            }
            it->second.waiters.push_back(lookup);
            return;
        }
        if (queries.size() >= opts.maxQueries || !channel) {
            gRefused.fetch_add(1, std::memory_order_relaxed);
            lookup->deliver(failed(asio::error::no_buffer_space));
            return;
        }
        queries[name].waiters.push_back(lookup);
        gQueries.fetch_add(1, std::memory_order_relaxed);
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        ares_getaddrinfo(channel, name.c_str(), nullptr, &hints, &Impl::onAnswer,
                         new Arg{this, name});
        rearmTimer();
    }

    static void onAnswer(void* arg, int status, int /*timeouts*/, ares_addrinfo* info) {
        std::unique_ptr<Arg> a(static_cast<Arg*>(arg));
        Resolved r;
        int ttl = std::numeric_limits<int>::max();
        if (status == ARES_SUCCESS && info) {
            for (auto* n = info->nodes; n; n = n->ai_next) {
                if (n->ai_family == AF_INET) {
                    auto* sin = reinterpret_cast<sockaddr_in*>(n->ai_addr);
                    asio::ip::address_v4::bytes_type b;
                    std::memcpy(b.data(), &sin->sin_addr, 4);
                    r.addresses.push_back(asio::ip::address_v4(b));
                } else if (n->ai_family == AF_INET6) {
                    auto* sin6 = reinterpret_cast<sockaddr_in6*>(n->ai_addr);
                    asio::ip::address_v6::bytes_type b;
                    std::memcpy(b.data(), &sin6->sin6_addr, 16);
                    r.addresses.push_back(asio::ip::address_v6(b, sin6->sin6_scope_id));
                } else {
                    continue;
                }
                ttl = std::min(ttl, n->ai_ttl);
            }
            std::stable_partition(r.addresses.begin(), r.addresses.end(),
                                  [](auto& x) { return x.is_v4(); });
        }
        if (info) ares_freeaddrinfo(info);
        if (r.addresses.empty()) {
            r.error = status == ARES_SUCCESS ? asio::error::host_not_found : toError(status);
            gFailures.fetch_add(1, std::memory_order_relaxed);
        }
        auto* self = a->self;
        if (status != ARES_EDESTRUCTION) {
            auto cap = r.error ? self->opts.negativeTtl : self->opts.positiveTtl;
            auto life = r.error ? cap : std::min(cap, std::chrono::seconds(std::max(1, ttl)));
            self->remember(a->name, r, life);
        }
        auto it = self->queries.find(a->name);
        if (it == self->queries.end()) return;
        auto waiters = std::move(it->second.waiters);
        self->queries.erase(it);
        for (auto& w : waiters)
            if (auto l = w.lock()) l->deliver(r);
    }
};

Resolver::Resolver(ResolverOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
Resolver::~Resolver() = default;

std::shared_ptr<DnsLookup> Resolver::start(asio::any_io_executor ex, std::string host) {
    // Callers pass the URL's host: IPv6 literals come without brackets.
    auto lookup = std::make_shared<DnsLookup>(std::move(ex), host);
    lookup->slot_->owner = lookup;
    error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
        lookup->preset(known({literal}));
        return lookup;
    }
    // The IPv4 spellings getaddrinfo accepts (127.1, 2130706433, 0x7f000001) are addresses
    // too, not names: parsed here, so the egress policy judges the address they mean.
    in_addr legacy{};
    if (::inet_aton(host.c_str(), &legacy)) {
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), &legacy, 4);
        lookup->preset(known({asio::ip::address_v4(b)}));
        return lookup;
    }
    auto name = lowerName(host);
    if (name.empty() || name.size() > 253) {
        lookup->preset(failed(asio::error::host_not_found));
        return lookup;
    }
    // RFC 6761: localhost names are loopback and never sent to DNS.
    if (name == "localhost" || name.ends_with(".localhost")) {
        lookup->preset(known({asio::ip::address_v4::loopback(), asio::ip::address_v6::loopback()}));
        return lookup;
    }
    if (auto hit = impl_->cached(name)) {
        gCacheHits.fetch_add(1, std::memory_order_relaxed);
        lookup->preset(std::move(*hit));
        return lookup;
    }
    asio::post(impl_->io, [impl = impl_.get(), name = std::move(name), slot = lookup->slot_] {
        impl->begin(name, slot);
    });
    return lookup;
}

asio::awaitable<Resolved> Resolver::resolve(std::string host, std::chrono::milliseconds timeout) {
    auto lookup = start(co_await asio::this_coro::executor, std::move(host));
    co_return co_await lookup->wait(timeout);
}

// --- the process-wide resolver ----------------------------------------------------------

namespace {
std::mutex gResolverMu;
std::shared_ptr<Resolver> gResolver;
}  // namespace

std::shared_ptr<Resolver> resolver() {
    std::lock_guard lock(gResolverMu);
    if (!gResolver) gResolver = std::make_shared<Resolver>();
    return gResolver;
}

ResolverInstall::ResolverInstall(std::shared_ptr<Resolver> r) {
    std::lock_guard lock(gResolverMu);
    gResolver = std::move(r);
}

ResolverInstall::~ResolverInstall() {
    std::shared_ptr<Resolver> last;
    {
        std::lock_guard lock(gResolverMu);
        last = std::move(gResolver);
    }
    // `last` joins the resolver thread here, outside the lock, if no lookup still holds it.
}

std::unique_ptr<ResolverInstall> installResolver(ResolverOptions opts) {
    return std::make_unique<ResolverInstall>(std::make_shared<Resolver>(std::move(opts)));
}

}  // namespace voxa::net

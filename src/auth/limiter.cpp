#include "auth/limiter.h"

#include <algorithm>
#include <cmath>

namespace voxa::auth {

namespace {

int64_t ceilSeconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }

// Keeps a map under `max` keys: first drops what `stale` says is forgotten, then, if an
// attacker still fills it, everything (they lose their counts, not the server its memory).
template <class Map, class Stale>
void makeRoom(Map& m, size_t max, Stale stale) {
    if (m.size() < max) return;
    std::erase_if(m, [&](auto& kv) { return stale(kv.second); });
    if (m.size() >= max) m.clear();
}

}  // namespace

const LoginLimiter::Count* LoginLimiter::live(const Map& m, const std::string& key,
                                              int64_t nowMs) const {
    auto it = m.find(key);
    if (it == m.end() || it->second.last <= nowMs - limits_.windowMs) return nullptr;
    return &it->second;
}

int64_t LoginLimiter::delayAfter(int failures, int free, int64_t cap) const {
    if (failures < free) return 0;
    int doublings = std::min(failures - free, 30);
    return std::min(cap, limits_.baseDelayMs << doublings);
}

LoginLimiter::Decision LoginLimiter::check(const std::string& email, const std::string& address,
                                           int64_t nowMs) {
    std::lock_guard lock(mu_);
    Decision d;
    auto refuse = [&](const Count* c, int free) {
        if (!c) return;
        int64_t until = c->last + delayAfter(c->failures, free, limits_.maxDelayMs);
        if (until > nowMs) d.refuseSeconds = std::max(d.refuseSeconds, ceilSeconds(until - nowMs));
    };
    refuse(live(byPair_, pairKey(email, address), nowMs), limits_.freePerPair);
    refuse(live(byAddress_, address, nowMs), limits_.freePerAddress);
    if (auto* c = live(byEmail_, email, nowMs))
        d.waitMs = delayAfter(c->failures, limits_.freePerEmail, limits_.maxEmailWaitMs);
    return d;
}

void LoginLimiter::bump(Map& m, const std::string& key, int64_t nowMs) {
    if (!m.contains(key))
        makeRoom(m, limits_.maxKeys, [&](const Count& c) { return c.last <= nowMs - limits_.windowMs; });
    Count& c = m[key];
    if (c.last <= nowMs - limits_.windowMs) c.failures = 0;
    ++c.failures;
    c.last = nowMs;
}

void LoginLimiter::failed(const std::string& email, const std::string& address, int64_t nowMs) {
    std::lock_guard lock(mu_);
    bump(byPair_, pairKey(email, address), nowMs);
    bump(byAddress_, address, nowMs);
    bump(byEmail_, email, nowMs);
}

void LoginLimiter::succeeded(const std::string& email, const std::string& address) {
    std::lock_guard lock(mu_);
    byPair_.erase(pairKey(email, address));
    byEmail_.erase(email);
}

std::optional<int64_t> RateLimiter::take(const std::string& key, int64_t nowMs) {
    if (limits_.perMinute <= 0) return std::nullopt;
    double perMs = limits_.perMinute / 60000.0;
    double burst = std::max(1.0, limits_.burst);
    std::lock_guard lock(mu_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        // A bucket that has refilled completely is the same as no bucket.
        makeRoom(buckets_, limits_.maxKeys, [&](const Bucket& b) {
            return b.tokens + static_cast<double>(nowMs - b.at) * perMs >= burst;
        });
        it = buckets_.emplace(key, Bucket{burst, nowMs}).first;
    }
    Bucket& b = it->second;
    b.tokens = std::min(burst, b.tokens + static_cast<double>(std::max<int64_t>(0, nowMs - b.at)) * perMs);
    b.at = nowMs;
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return std::nullopt;
    }
    return ceilSeconds(static_cast<int64_t>(std::ceil((1 - b.tokens) / perMs)));
}

}  // namespace voxa::auth

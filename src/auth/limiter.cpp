#include "auth/limiter.h"

namespace voxa::auth {

std::optional<int64_t> LoginLimiter::waitFor(std::unordered_map<std::string, Window>& m,
                                             const std::string& key, int limit, int64_t nowMs) {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    Window& w = it->second;
    while (!w.empty() && w.front() <= nowMs - limits_.windowMs) w.pop_front();
    if (static_cast<int>(w.size()) < limit) return std::nullopt;
    // Free again when enough failures have aged out to drop below the limit.
    int64_t freeAt = w[w.size() - static_cast<size_t>(limit)] + limits_.windowMs;
    return std::max<int64_t>(1, (freeAt - nowMs + 999) / 1000);
}

std::optional<int64_t> LoginLimiter::blocked(const std::string& email, const std::string& address,
                                             int64_t nowMs) {
    std::lock_guard lock(mu_);
    auto a = waitFor(byEmail_, email, limits_.perEmail, nowMs);
    auto b = waitFor(byAddress_, address, limits_.perAddress, nowMs);
    if (a && b) return std::max(*a, *b);
    return a ? a : b;
}

void LoginLimiter::failed(const std::string& email, const std::string& address, int64_t nowMs) {
    std::lock_guard lock(mu_);
    prune(nowMs);
    byEmail_[email].push_back(nowMs);
    byAddress_[address].push_back(nowMs);
}

void LoginLimiter::succeeded(const std::string& email) {
    std::lock_guard lock(mu_);
    byEmail_.erase(email);
}

// Drops windows whose newest failure is older than the window, at most once a minute, so
// the maps stay as small as the set of recent offenders.
void LoginLimiter::prune(int64_t nowMs) {
    if (nowMs - lastPrune_ < 60'000) return;
    lastPrune_ = nowMs;
    for (auto* m : {&byEmail_, &byAddress_})
        std::erase_if(*m, [&](auto& kv) {
            return kv.second.empty() || kv.second.back() <= nowMs - limits_.windowMs;
        });
}

}  // namespace voxa::auth

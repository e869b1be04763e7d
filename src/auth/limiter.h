// Brute-force protection for sign-in: failures are counted per email and per client
// address in a sliding window; past the limit, attempts are refused until the oldest
// failure in the window ages out. A success clears the email's count. Thread-safe.
//
//   LoginLimiter lim;                                     // 5 per email, 20 per address, 15 min
//   if (auto wait = lim.blocked(email, ip, nowMs)) return 429 (Retry-After: *wait seconds);
//   ok ? lim.succeeded(email) : lim.failed(email, ip, nowMs);
//
// In memory, per node: with several nodes an attacker gets the limit once per node.
#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace voxa::auth {

class LoginLimiter {
public:
    struct Limits {
        int perEmail = 5;
        int perAddress = 20;
        int64_t windowMs = 15 * 60 * 1000;
    };
    LoginLimiter() : LoginLimiter(Limits{}) {}
    explicit LoginLimiter(Limits l) : limits_(l) {}

    /// Seconds to wait before trying again, or nullopt if an attempt may go ahead.
    std::optional<int64_t> blocked(const std::string& email, const std::string& address,
                                   int64_t nowMs);
    void failed(const std::string& email, const std::string& address, int64_t nowMs);
    void succeeded(const std::string& email);

private:
    using Window = std::deque<int64_t>;  // failure times, oldest first
    std::optional<int64_t> waitFor(std::unordered_map<std::string, Window>& m,
                                   const std::string& key, int limit, int64_t nowMs);
    void prune(int64_t nowMs);

    Limits limits_;
    std::mutex mu_;
    std::unordered_map<std::string, Window> byEmail_, byAddress_;
    int64_t lastPrune_ = 0;
};

}  // namespace voxa::auth

// Brute-force protection for sign-in, and a per-address rate limit for the account endpoints.
// Both thread-safe, in memory, per node (with several nodes an attacker gets the limits once
// per node).
//
//   LoginLimiter lim;
//   auto d = lim.check(email, ip, nowMs);
//   if (d.refuseSeconds) return 429 (Retry-After: d.refuseSeconds);
//   if (d.waitMs) co_await a timer of d.waitMs;          // then check the password
//   ok ? lim.succeeded(email, ip) : lim.failed(email, ip, nowMs);
//
//   RateLimiter rate({.perMinute = 30});
//   if (auto wait = rate.take(ip, nowMs)) return 429 (Retry-After: *wait);
//
// LoginLimiter counts failures three ways, and no count ever locks an account out:
//  - per (email, address): past `freePerPair` failures, that address must wait before trying
//    that email again, 1 s, 2 s, 4 s, ... (capped). The owner signing in from elsewhere is
//    not affected.
//  - per address (any email, password spraying): past `freePerAddress`, the same growing
//    refusals for everything from that address.
//  - per email from all addresses (a distributed attack on one account): past
//    `freePerEmail`, every attempt on that email is *held* for a growing, capped wait and then
//    checked, so the right password still gets in while guesses stay slow.
// A count is forgotten after `windowMs` without a failure.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace voxa::auth {

class LoginLimiter {
public:
    struct Limits {
        int freePerPair = 5;
        int freePerAddress = 20;
        int freePerEmail = 10;
        int64_t baseDelayMs = 1000;               // the first delay; doubles per failure
        int64_t maxDelayMs = 15 * 60 * 1000;      // cap of a refusal (pair, address)
        int64_t maxEmailWaitMs = 10'000;          // cap of the hold on an attacked email
        int64_t windowMs = 15 * 60 * 1000;        // failures are forgotten after this long
        size_t maxKeys = 100'000;                 // per map; bounds memory under a flood
    };
    struct Decision {
        int64_t refuseSeconds = 0;  // > 0: refuse, try again after this long
        int64_t waitMs = 0;         // > 0: hold the attempt this long, then check it
    };
    LoginLimiter() : LoginLimiter(Limits{}) {}
    explicit LoginLimiter(Limits l) : limits_(l) {}

    Decision check(const std::string& email, const std::string& address, int64_t nowMs);
    void failed(const std::string& email, const std::string& address, int64_t nowMs);
    /// The right password: forgets this pair's and this email's failures (not the address's).
    void succeeded(const std::string& email, const std::string& address);

private:
    struct Count {
        int failures = 0;
        int64_t last = 0;  // time of the latest failure
    };
    using Map = std::unordered_map<std::string, Count>;
    /// The failures of `key` still in the window (0 if none).
    const Count* live(const Map& m, const std::string& key, int64_t nowMs) const;
    /// How long after the last failure the next attempt is delayed (0 = none).
    int64_t delayAfter(int failures, int free, int64_t cap) const;
    void bump(Map& m, const std::string& key, int64_t nowMs);
    static std::string pairKey(const std::string& email, const std::string& address) {
        return email + '\n' + address;
    }

    Limits limits_;
    std::mutex mu_;
    Map byPair_, byAddress_, byEmail_;
};

/// A token bucket per key: `burst` attempts at once, refilled at `perMinute`.
class RateLimiter {
public:
    struct Limits {
        double perMinute = 30;  // <= 0: no limit
        double burst = 30;
        size_t maxKeys = 100'000;
    };
    RateLimiter() : RateLimiter(Limits{}) {}
    explicit RateLimiter(Limits l) : limits_(l) {}
    /// Takes one token: nullopt if allowed, else the seconds until one is free.
    std::optional<int64_t> take(const std::string& key, int64_t nowMs);

private:
    struct Bucket {
        double tokens = 0;
        int64_t at = 0;
    };
    Limits limits_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace voxa::auth

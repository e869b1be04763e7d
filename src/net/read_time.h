// When the network bytes being handled now were read, for latency measured from a
// provider's answer on (the pipeline's voxa_provider_to_wire_seconds). Code that handles one
// read does so inside a ReadScope; whatever it calls synchronously asks readTime():
//
//   auto msg = co_await conn->read();
//   net::ReadScope read(msg->receivedAt);   // the moment read() completed
//   onEvent(decode(msg->data));             // callbacks in here see that moment
//
// fetch() opens one around the body bytes it hands to a streaming callback, so providers on
// HTTP bodies need nothing. Outside every scope readTime() is now: an engine in the process
// (pocketsphinx, flite, bench) hands its result over the moment it has it. A scope never
// spans a co_await (the thread runs other calls' work meanwhile): open it after the read,
// let it close before the next one.
#pragma once
#include <chrono>

namespace voxa::net {

class ReadScope {
public:
    using time_point = std::chrono::steady_clock::time_point;
    /// `at` unset (a message no read() stamped) leaves the enclosing moment in place.
    explicit ReadScope(time_point at) : prev_(current()) {
        if (at != time_point{}) current() = at;
    }
    ~ReadScope() { current() = prev_; }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

    /// The innermost scope's moment, or now.
    static time_point readTime() {
        auto t = current();
        return t == time_point{} ? std::chrono::steady_clock::now() : t;
    }

private:
    static time_point& current() {
        thread_local time_point t{};
        return t;
    }
    time_point prev_;
};

inline ReadScope::time_point readTime() { return ReadScope::readTime(); }

}  // namespace voxa::net

// One 1 ms timer per event loop drives the 20 ms clocks of all the calls on that loop,
// instead of a timer per call: with a thousand calls that is 50,000 fewer timer
// re-arms (and timerfd syscalls) a second, and calls due in the same millisecond are
// ticked together.
//
//   class MyCall : public Ticker::Client { bool tickIfDue(Clock::time_point now) override; };
//   Ticker::of(ex).add(client, ex);   // client->tickIfDue(now) every ms until it says false
//
// A client keeps its own schedule (it knows when its next 20 ms tick is due) and may
// re-phase it at any time. The ticker holds clients by shared_ptr until they say false or
// the io_context is destroyed. Everything runs on the loop's thread; no locks.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace voxa::call {

class Ticker : public boost::asio::execution_context::service {
public:
    using Clock = std::chrono::steady_clock;
    using key_type = Ticker;
    static boost::asio::execution_context::id id;

    class Client {
    public:
        virtual ~Client() = default;
        /// Called every ms; ticks if due. Returns false to be removed.
        virtual bool tickIfDue(Clock::time_point now) = 0;
    };

    explicit Ticker(boost::asio::execution_context& ctx);
    /// The ticker of the execution context `ex` belongs to.
    static Ticker& of(const boost::asio::any_io_executor& ex);

    void add(std::shared_ptr<Client> c, const boost::asio::any_io_executor& ex);
    size_t size() const { return clients_.size(); }

private:
    void shutdown() override;
    void arm();
    void run();

    std::optional<boost::asio::steady_timer> timer_;
    std::vector<std::shared_ptr<Client>> clients_;
    Clock::time_point next_{};
    bool armed_ = false;
};

}  // namespace voxa::call

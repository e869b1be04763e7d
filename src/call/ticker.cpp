#include "call/ticker.h"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

namespace voxa::call {

namespace asio = boost::asio;

asio::execution_context::id Ticker::id;

Ticker::Ticker(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

Ticker& Ticker::of(const asio::any_io_executor& ex) {
    return asio::use_service<Ticker>(asio::query(ex, asio::execution::context));
}

void Ticker::add(std::shared_ptr<Client> c, const asio::any_io_executor& ex) {
    if (!timer_) timer_.emplace(ex);
    clients_.push_back(std::move(c));
    arm();
}

void Ticker::shutdown() {
    clients_.clear();
    timer_.reset();
}

void Ticker::arm() {
    if (armed_ || clients_.empty() || !timer_) return;
    armed_ = true;
    auto now = Clock::now();
    // 1 ms steps on an absolute schedule; after a stall, resume from now (the clients
    // catch up on their own schedules).
    next_ = next_ + std::chrono::milliseconds(1) < now ? now + std::chrono::milliseconds(1)
                                                      : next_ + std::chrono::milliseconds(1);
    timer_->expires_at(next_);
    timer_->async_wait([this](boost::system::error_code ec) {
        armed_ = false;
        if (ec) return;
        run();
    });
}

void Ticker::run() {
    auto now = Clock::now();
    // Clients added while this runs are appended and ticked next time; removals compact
    // afterwards, so the indices stay valid.
    size_t n = clients_.size();
    bool removed = false;
    for (size_t i = 0; i < n; ++i) {
        auto c = clients_[i];  // a tick may drop the last other reference
        if (!c->tickIfDue(now)) {
            clients_[i].reset();
            removed = true;
        }
    }
    if (removed) std::erase(clients_, nullptr);
    arm();
}

}  // namespace voxa::call

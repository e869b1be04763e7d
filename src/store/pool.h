// A small blocking pool of database connections. Each caller borrows one connection for
// the duration of one store call, so a connection is never used by two threads at once
// and the pool grows to the number of threads that hit the store concurrently.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace voxa::store {

template <class Conn>
class ConnPool {
public:
    using Factory = std::function<std::unique_ptr<Conn>()>;

    /// A borrowed connection; goes back to the pool when destroyed.
    class Lease {
    public:
        Lease(ConnPool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&& o) noexcept = default;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (conn_) pool_->release(std::move(conn_));
        }
        Conn& operator*() const { return *conn_; }
        Conn* operator->() const { return conn_.get(); }

    private:
        ConnPool* pool_;
        std::unique_ptr<Conn> conn_;
    };

    ConnPool(Factory factory, size_t maxSize) : factory_(std::move(factory)), max_(maxSize) {}

    /// Adds an already-open connection (used to fail fast at open time).
    void seed(std::unique_ptr<Conn> conn) {
        std::lock_guard lock(mu_);
        idle_.push_back(std::move(conn));
        ++total_;
    }

    Lease acquire() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !idle_.empty() || total_ < max_; });
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(conn));
        }
        ++total_;  // reserve the slot, then connect without holding the lock
        lock.unlock();
        try {
            return Lease(this, factory_());
        } catch (...) {
            lock.lock();
            --total_;
            cv_.notify_one();
            throw;
        }
    }

private:
    void release(std::unique_ptr<Conn> conn) {
        {
            std::lock_guard lock(mu_);
            idle_.push_back(std::move(conn));
        }
        cv_.notify_one();
    }

    Factory factory_;
    size_t max_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Conn>> idle_;
    size_t total_ = 0;
};

}  // namespace voxa::store

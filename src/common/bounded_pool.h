// A small worker pool with a bounded queue, for expensive work that strangers can ask for
// (argon2id password hashing): it never takes more than its own threads, runs them at a
// lower CPU priority than the event loops and the database pool, and when `maxPending` jobs
// are already queued or running, a new one is refused at once instead of waiting.
//
//   voxa::BoundedPool hashing(1, 8);
//   auto h = co_await hashing.run([&] { return hashPassword(pw); });   // may throw PoolFull
//   bool queued = mails.post([m] { send(m); });                         // fire and forget
//   hashing.join();                                                     // at shutdown
#pragma once
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <stdexcept>

#include "common/offload.h"

namespace voxa {

struct PoolFull : std::runtime_error {
    PoolFull() : std::runtime_error("the pool is full") {}
};

class BoundedPool {
public:
    /// `niceness`: added to the threads' nice value (0 = same priority as the rest).
    BoundedPool(size_t threads, size_t maxPending, int niceness = 10)
        : pool_(threads), max_(maxPending), nice_(niceness) {}
    ~BoundedPool() { join(); }

    template <class F, class R = std::invoke_result_t<F&>>
    asio::awaitable<R> run(F work) {
        if (pending_.fetch_add(1) >= max_) {
            pending_.fetch_sub(1);
            throw PoolFull();
        }
        // The count drops when the work is done, on the worker, whatever the coroutine does.
        auto job = [this, &work]() -> R {
            struct Done {
                std::atomic<size_t>& n;
                ~Done() { n.fetch_sub(1); }
            } done{pending_};
            lowerPriority();
            return work();
        };
        co_return co_await offload(pool_, std::move(job));
    }

    /// Fire and forget: queues `work` (what it throws is swallowed) and returns at once;
    /// false, and nothing queued, when `maxPending` jobs are queued or running already.
    template <class F>
    bool post(F work) {
        if (pending_.fetch_add(1) >= max_) {
            pending_.fetch_sub(1);
            return false;
        }
        asio::post(pool_, [this, work = std::move(work)]() mutable {
            struct Done {
                std::atomic<size_t>& n;
                ~Done() { n.fetch_sub(1); }
            } done{pending_};
            lowerPriority();
            try {
                work();
            } catch (...) {
            }
        });
        return true;
    }

    size_t pending() const { return pending_.load(); }
    void join() { pool_.join(); }

private:
    void lowerPriority() const {
        thread_local bool lowered = false;
        if (lowered || nice_ == 0) return;
        lowered = true;
        // Linux: a thread's nice value is its own (setpriority with the thread id).
        auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        errno = 0;
        int now = ::getpriority(PRIO_PROCESS, tid);
        if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, now + nice_);
    }

    asio::thread_pool pool_;
    size_t max_;
    int nice_;
    std::atomic<size_t> pending_{0};
};

}  // namespace voxa

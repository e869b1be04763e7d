// Runs blocking work (database, password hashing, file I/O) on a worker pool and
// resumes the calling coroutine on its own executor.
//
//   asio::thread_pool db(4);
//   auto row = co_await voxa::offload(db, [&] { return store.getResource(kind, org, id); });
//
// Exceptions thrown by the work are rethrown in the caller.
#pragma once
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace voxa {

namespace asio = boost::asio;

template <class F, class R = std::invoke_result_t<F&>>
    requires(!std::is_void_v<R>)
asio::awaitable<R> offload(asio::thread_pool& pool, F work) {
    // A coroutine, so `work` lives in this frame until we resume (see cpp-stack.md,
    // g++ 12 pitfall 2: never hand a lazily-initiated operation a reference to a temporary).
    auto initiate = [&pool, &work](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        asio::post(pool, [&work, ex, h = std::move(handler)]() mutable {
            std::exception_ptr ep;
            std::optional<R> r;
            try {
                r.emplace(work());
            } catch (...) {
                ep = std::current_exception();
            }
            asio::dispatch(ex, [h = std::move(h), ep, r = std::move(r)]() mutable {
                std::move(h)(ep, r ? std::move(*r) : R{});
            });
        });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                            void(std::exception_ptr, R)>(initiate,
                                                                         asio::use_awaitable);
}

}  // namespace voxa

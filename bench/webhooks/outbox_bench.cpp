// Webhook outbox throughput: N events over C calls stored and delivered to a local HTTP
// receiver, end to end through the real Outbox (SQLite file in WAL mode, one request per
// event, per-call order). Prints events/s for storing and for delivery.
//
//   build/bench/outbox_bench [events=20000] [calls=200] [data-dir=/tmp/voxa-outbox-bench]
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "net/egress.h"
#include "net/server.h"
#include "store/store.h"
#include "webhooks/webhooks.h"

namespace asio = boost::asio;
using namespace voxa;

int main(int argc, char** argv) {
    int events = argc > 1 ? std::stoi(argv[1]) : 20000;
    int calls = argc > 2 ? std::stoi(argv[2]) : 200;
    std::string dir = argc > 3 ? argv[3] : "/tmp/voxa-outbox-bench";
    spdlog::set_level(spdlog::level::warn);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto store = store::open({.databaseUrl = "", .dataDir = dir});
    store->migrate();
    store->insertOrg({.id = "org", .name = "bench", .createdAt = "t", .updatedAt = "t", .body = "{}"});

    // The receiver listens on loopback, which the egress policy refuses by default.
    net::setEgressPolicy(net::EgressPolicy(net::parseCidrList("127.0.0.0/8")));
    std::atomic<int> received{0};
    net::HttpServer rx(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                       [&](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                           ++received;
                           co_return net::HttpResponse::json(200, "{}");
                       });
    rx.start();

    asio::thread_pool db(4);
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread loop([&] { io.run(); });
    webhooks::Outbox outbox(*store, db, io.get_executor(), {.maxInFlight = 64, .pollMs = 100, .claims = false});
    webhooks::Target t{.url = "http://127.0.0.1:" + std::to_string(rx.port()) + "/hook"};
    std::string body = R"({"message":{"type":"speech-update","status":"started","role":"user","turn":1,)"
                       R"("call":{"id":"x","orgId":"org","status":"in-progress"}}})";

    auto t0 = std::chrono::steady_clock::now();
    outbox.start();
    for (int i = 0; i < events; ++i)
        outbox.enqueue("org", "call-" + std::to_string(i % calls), "speech-update", t, body);
    auto enq = std::chrono::steady_clock::now();
    while (outbox.stats().delivered.load() < events)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto done = std::chrono::steady_clock::now();
    double enqMs = std::chrono::duration<double, std::milli>(enq - t0).count();
    double totalS = std::chrono::duration<double>(done - t0).count();
    std::printf("outbox: %d events over %d calls, SQLite WAL (%s)\n", events, calls, dir.c_str());
    std::printf("  enqueue (caller side): %.1f ms, %.0f events/s\n", enqMs, events / (enqMs / 1000));
    std::printf("  stored + delivered:    %.2f s, %.0f events/s (%d requests received, %lld attempts)\n",
                totalS, events / totalS, received.load(),
                static_cast<long long>(outbox.stats().attempts.load()));
    outbox.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    guard.reset();
    io.stop();
    loop.join();
    rx.stop();
    db.join();
    std::filesystem::remove_all(dir);
    return received.load() == events ? 0 : 1;
}

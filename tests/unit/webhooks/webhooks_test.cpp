// Webhook targets (server objects, credentials, legacy fields), request signing, backoff,
// and the outbox delivering through a real HTTP server: retries, order per call, one
// delivery per event, logs, and a batch the database refuses midway.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/crypto.h"
#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "store/sqlite/sqlite_conn.h"
#include "webhooks/webhooks.h"

namespace voxa::webhooks {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ::testing::ElementsAre;

std::string header(const std::vector<net::Header>& hs, std::string_view name) {
    for (auto& h : hs)
        if (h.name == name) return h.value;
    return "<none>";
}

TEST(Backoff, ExponentialDoublesUpToTheCapAndFixedStaysPut) {
    Backoff b;
    EXPECT_DOUBLE_EQ(b.delaySeconds(1), 1);
    EXPECT_DOUBLE_EQ(b.delaySeconds(2), 2);
    EXPECT_DOUBLE_EQ(b.delaySeconds(4), 8);
    EXPECT_DOUBLE_EQ(b.delaySeconds(20), 300);
    b.exponential = false;
    b.baseDelaySeconds = 3;
    EXPECT_DOUBLE_EQ(b.delaySeconds(5), 3);
}

TEST(Target, FromServerObjectWithHeadersTimeoutAndBackoffPlan) {
    json::value server = json::parse(R"({"url":"https://example.com/hook","timeoutSeconds":500,
        "headers":{"X-A":"1","X-N":2},
        "backoffPlan":{"type":"fixed","maxRetries":3,"baseDelaySeconds":2}})");
    Target t = targetFrom(&server, {});
    EXPECT_EQ(t.url, "https://example.com/hook");
    EXPECT_EQ(t.timeoutSeconds, 300) << "clamped to Vapi's 1-300";
    EXPECT_EQ(header(t.headers, "X-A"), "1");
    EXPECT_EQ(header(t.headers, "X-N"), "2");
    EXPECT_FALSE(t.backoff.exponential);
    EXPECT_EQ(t.backoff.maxRetries, 3);
    EXPECT_EQ(t.backoff.baseDelaySeconds, 2);
    EXPECT_FALSE(t.hmac);
}

TEST(Target, LegacyServerUrlAndSecretAndEmptyWithoutAUrl) {
    Target t = targetFrom(nullptr, {}, "http://legacy/hook", "s3cret");
    EXPECT_EQ(t.url, "http://legacy/hook");
    EXPECT_EQ(header(t.headers, "X-Vapi-Secret"), "s3cret");
    EXPECT_EQ(t.backoff.maxRetries, -1) << "no plan: the outbox retries until expiry";
    json::value noUrl = json::parse(R"({"timeoutSeconds":5})");
    EXPECT_TRUE(targetFrom(&noUrl, {}).empty());
    // server.url wins over the legacy pair, and server.secret is the legacy header too.
    json::value both = json::parse(R"({"url":"http://new","secret":"x"})");
    Target n = targetFrom(&both, {}, "http://old", "y");
    EXPECT_EQ(n.url, "http://new");
    EXPECT_EQ(header(n.headers, "X-Vapi-Secret"), "x");
}

TEST(Target, BearerCredentialWithCustomHeaderAndPrefix) {
    Credentials creds{
        {"c1", json::parse(R"({"provider":"webhook","authenticationPlan":{"type":"bearer","token":"tok"}})").as_object()},
        {"c2", json::parse(R"({"provider":"webhook","authenticationPlan":{"type":"bearer","token":"tok2",
             "headerName":"X-Api-Key","bearerPrefixEnabled":false}})").as_object()}};
    json::value s1 = json::parse(R"({"url":"http://h","credentialId":"c1"})");
    json::value s2 = json::parse(R"({"url":"http://h","credentialId":"c2"})");
    json::value s3 = json::parse(R"({"url":"http://h","credentialId":"missing"})");
    EXPECT_EQ(header(targetFrom(&s1, creds).headers, "Authorization"), "Bearer tok");
    EXPECT_EQ(header(targetFrom(&s2, creds).headers, "X-Api-Key"), "tok2");
    EXPECT_EQ(targetFrom(&s3, creds).headers.size(), 0u);
}

// RFC 4231-style known answers for "The quick brown fox jumps over the lazy dog", key "key".
constexpr const char* kFox = "The quick brown fox jumps over the lazy dog";

Target hmacTarget(const std::string& plan) {
    Credentials creds{{"c", json::parse(R"({"provider":"webhook","authenticationPlan":)" + plan + "}").as_object()}};
    json::value s = json::parse(R"({"url":"http://h/x","credentialId":"c"})");
    return targetFrom(&s, creds);
}

TEST(Signing, HmacOverTimestampAndBodyByDefault) {
    Target t = hmacTarget(R"({"type":"hmac","secretKey":"key","algorithm":"sha256"})");
    ASSERT_TRUE(t.hmac);
    auto hs = requestHeaders(t, "{\"a\":1}", "evt-1", 1700000000123);
    EXPECT_EQ(header(hs, "x-timestamp"), "1700000000123");
    EXPECT_EQ(header(hs, "x-signature"), hmacSha256Hex("key", "1700000000123.{\"a\":1}"));
    EXPECT_EQ(header(hs, "X-Voxa-Event-Id"), "evt-1");
    EXPECT_EQ(header(hs, "Content-Type"), "application/json");
}

TEST(Signing, KnownAnswersForEachAlgorithmAndEncoding) {
    auto sig = [](const std::string& plan) {
        return header(requestHeaders(hmacTarget(plan), kFox, "e", 1), "sig");
    };
    const std::string common = R"("type":"hmac","secretKey":"key","includeTimestamp":false,"signatureHeader":"sig")";
    EXPECT_EQ(sig("{" + common + R"(,"algorithm":"sha256"})"),
              "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    EXPECT_EQ(sig("{" + common + R"(,"algorithm":"sha1"})"), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    EXPECT_EQ(sig("{" + common + R"(,"algorithm":"sha512"})"),
              "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb82f948a549f7b791"
              "a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a");
    EXPECT_EQ(sig("{" + common + R"(,"algorithm":"sha256","signatureEncoding":"base64","signaturePrefix":"sha256="})"),
              "sha256=" + base64Encode(hmac("SHA256", "key", kFox)));
    // A base64 secret is decoded first ("a2V5" = "key").
    EXPECT_EQ(sig("{" + common + R"(,"algorithm":"sha256","secretKey":"a2V5","secretIsBase64":true})"),
              "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(Signing, PayloadFormatTokensAndTheTargetSurvivesTheOutboxRoundTrip) {
    Target t = hmacTarget(R"({"type":"hmac","secretKey":"k","algorithm":"sha256","payloadFormat":"{method} {url} {svix-id} {timestamp} {body}","messageIdHeader":"webhook-id"})");
    t.headers.push_back({"X-Static", "1"});
    t.backoff.maxRetries = 2;
    Target back = Target::fromJson(json::parse(json::serialize(t.toJson())).as_object());
    auto hs = requestHeaders(back, "{timestamp}", "evt", 42);
    EXPECT_EQ(header(hs, "x-signature"), hmacSha256Hex("k", "POST http://h/x evt 42 {timestamp}"));
    EXPECT_EQ(header(hs, "webhook-id"), "evt");
    EXPECT_EQ(header(hs, "X-Static"), "1");
    EXPECT_EQ(back.backoff.maxRetries, 2);
}

// ---- The outbox against a real HTTP receiver --------------------------------------------

struct Receiver {
    std::mutex mu;
    std::vector<std::pair<std::string, std::string>> delivered;  // (event id, body) answered 200
    std::map<std::string, int> attempts;                          // event id -> requests
    std::atomic<int> failFirst{0};                                 // answer 500 to this many
    std::unique_ptr<net::HttpServer> server;

    void start() {
        server = std::make_unique<net::HttpServer>(
            net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
            [this](net::HttpRequest& r) -> asio::awaitable<net::HttpResponse> {
                std::string id(r.header("x-voxa-event-id"));
                std::lock_guard lock(mu);
                ++attempts[id];
                if (r.path == "/gone") co_return net::HttpResponse::json(404, "{}");
                if (failFirst.fetch_sub(1) > 0) co_return net::HttpResponse::json(500, R"({"error":"down"})");
                delivered.emplace_back(id, r.body);
                co_return net::HttpResponse::json(200, "{}");
            });
        server->start();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/hook"; }
};

class OutboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        store = store::open({.databaseUrl = "", .dataDir = ":memory:"});
        store->migrate();
        store->insertOrg({.id = "org", .name = "o", .createdAt = "t", .updatedAt = "t", .body = "{}"});
        rx.start();
        loop = std::thread([this] { io.run(); });
    }
    void TearDown() override {
        work.reset();
        io.stop();
        loop.join();
        rx.server->stop();
        db.join();
        // Only now: the outbox's loop and database jobs use the store until they are joined
        // (Outbox::stop() only asks them to stop).
        store.reset();
        if (!removeDir.empty()) std::filesystem::remove_all(removeDir);
    }
    template <class Pred>
    bool waitUntil(Pred p, int ms = 10000) {
        for (int i = 0; i < ms / 10; ++i) {
            if (p()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return p();
    }

    fakes::LoopbackEgress egress;  // the receiver listens on loopback
    std::unique_ptr<store::Store> store;
    std::filesystem::path removeDir;  // a test's data dir, removed after the store is closed
    asio::thread_pool db{2};
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread loop;
    Receiver rx;
};

TEST_F(OutboxTest, ReceiverDownThenUpEveryEventDeliveredOnceInOrderPerCall) {
    Outbox outbox(*store, db, io.get_executor(), {.pollMs = 50});
    outbox.start();
    Target t{.url = rx.url()};
    t.backoff.baseDelaySeconds = 0.05;
    t.backoff.maxDelaySeconds = 0.2;
    rx.failFirst = 7;  // the first seven requests fail
    for (int i = 0; i < 5; ++i) {
        outbox.enqueue("org", "call-a", "speech-update", t, R"({"message":{"n":"a)" + std::to_string(i) + "\"}}");
        outbox.enqueue("org", "call-b", "speech-update", t, R"({"message":{"n":"b)" + std::to_string(i) + "\"}}");
    }
    ASSERT_TRUE(waitUntil([&] { return outbox.stats().delivered.load() == 10; })) << outbox.stats().delivered.load();
    std::lock_guard lock(rx.mu);
    ASSERT_EQ(rx.delivered.size(), 10u) << "each event delivered exactly once";
    std::vector<std::string> a, b;
    std::set<std::string> ids;
    for (auto& [id, body] : rx.delivered) {
        ids.insert(id);
        auto n = std::string(json::parse(body).at("message").at("n").as_string());
        (n[0] == 'a' ? a : b).push_back(n);
    }
    EXPECT_EQ(ids.size(), 10u);
    EXPECT_THAT(a, ElementsAre("a0", "a1", "a2", "a3", "a4"));
    EXPECT_THAT(b, ElementsAre("b0", "b1", "b2", "b3", "b4"));
    EXPECT_EQ(outbox.stats().attempts.load(), 17) << "7 failures + 10 deliveries";
    // Stored state: all delivered, with the attempts counted (the last row is written on the
    // database pool just after its delivery is counted).
    std::vector<store::OutboxEvent> rows;
    EXPECT_TRUE(waitUntil([&] { return (rows = store->listEvents("org", "", "delivered", 100)).size() == 10; }))
        << rows.size();
    int total = 0;
    for (auto& r : rows) total += r.attempts;
    EXPECT_EQ(total, 17);
    outbox.stop();
}

TEST_F(OutboxTest, MaxRetriesGivesUpAndNonRetryableStatusFailsAtOnce) {
    Outbox outbox(*store, db, io.get_executor(), {.pollMs = 50});
    outbox.start();
    Target t{.url = rx.url()};
    t.backoff.baseDelaySeconds = 0.02;
    t.backoff.maxRetries = 2;
    rx.failFirst = 1000;
    outbox.enqueue("org", "call-a", "status-update", t, "{}");
    ASSERT_TRUE(waitUntil([&] { return outbox.stats().failed.load() == 1; }));
    EXPECT_EQ(outbox.stats().attempts.load(), 3) << "the first try and two retries";
    // A 404 is the receiver's answer, not an outage: no retry.
    Target gone{.url = "http://127.0.0.1:" + std::to_string(rx.server->port()) + "/gone"};
    gone.backoff.baseDelaySeconds = 0.02;
    outbox.enqueue("org", "call-b", "status-update", gone, "{}");
    ASSERT_TRUE(waitUntil([&] { return outbox.stats().failed.load() == 2; }));
    EXPECT_EQ(outbox.stats().attempts.load(), 4);
    auto failed = store->listEvents("org", "call-b", "failed", 10);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].lastStatus, 404);
    EXPECT_THAT(failed[0].lastError, ::testing::HasSubstr("HTTP 404"));
    outbox.stop();
}

TEST_F(OutboxTest, EventsStoredBeforeARestartAreDeliveredByTheNextOutbox) {
    Target t{.url = rx.url()};
    {
        // An outbox that stores but never delivers (not started): a process that died.
        Outbox dead(*store, db, io.get_executor());
        dead.enqueue("org", "call-a", "status-update", t, R"({"message":{"n":1}})");
        dead.enqueue("org", "call-a", "end-of-call-report", t, R"({"message":{"n":2}})");
        auto f = asio::co_spawn(io, dead.flush(), asio::use_future);
        f.get();
        // A lease taken by the dead process must not block the next one (single node).
        ASSERT_TRUE(store->claimEvent(store->listEvents("org", "", "", 10)[0].id, 0, 1LL << 50));
    }
    Outbox next(*store, db, io.get_executor(), {.pollMs = 50});
    next.start();
    ASSERT_TRUE(waitUntil([&] { return next.stats().delivered.load() == 2; }));
    std::lock_guard lock(rx.mu);
    ASSERT_EQ(rx.delivered.size(), 2u);
    EXPECT_EQ(json::parse(rx.delivered[0].second).at("message").at("n").as_int64(), 1);
    EXPECT_EQ(json::parse(rx.delivered[1].second).at("message").at("n").as_int64(), 2);
    next.stop();
}


// A sink that notices when a log line contains `needle` (the test reacts to the product's
// own error log, not to a hook in the product).
class LogWatch : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit LogWatch(std::string needle) : needle_(std::move(needle)) {}
    bool seen() const { return seen_.load(); }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (std::string_view(msg.payload.data(), msg.payload.size()).find(needle_) != std::string_view::npos)
            seen_ = true;
    }
    void flush_() override {}

private:
    std::string needle_;
    std::atomic<bool> seen_{false};
};

// #20 finding 1: 250 events in one batch, and the database refuses the 201st (the first row of
// a second 200-row statement) once. Stored as separate statements, the first 200 rows stayed
// and every retry then clashed on their ids: 200 delivered, the rest never. Stored as one
// idempotent transaction, the retry stores all 250 and each is delivered exactly once.
TEST_F(OutboxTest, ABatchRefusedInItsSecondChunkIsStoredWholeOnRetryAndEachEventDeliveredOnce) {
    auto dir = std::filesystem::temp_directory_path() /
               ("voxa_outbox_fault_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    store = store::open({.databaseUrl = "", .dataDir = dir.string()});
    store->migrate();
    store->insertOrg({.id = "org", .name = "o", .createdAt = "t", .updatedAt = "t", .body = "{}"});
    // The fault, injected in the database itself: a trigger refuses event n = 200.
    store::SqliteConn admin((dir / "voxa.db").string(), false);
    admin.exec(R"(CREATE TRIGGER refuse_200 BEFORE INSERT ON webhook_outbox
                  WHEN NEW.body LIKE '%"n":200}%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END)");
    auto watch = std::make_shared<LogWatch>("injected failure");
    spdlog::default_logger()->sinks().push_back(watch);
    struct Unwatch {
        ~Unwatch() { spdlog::default_logger()->sinks().pop_back(); }
    } unwatch;

    Outbox outbox(*store, db, io.get_executor(), {.pollMs = 50});
    outbox.start();
    Target t{.url = rx.url()};
    // The loop is held while all 250 are enqueued, so the writer finds them in one batch.
    std::promise<void> hold;
    asio::post(io, [f = hold.get_future().share()] { f.wait(); });
    for (int i = 0; i < 250; ++i)
        outbox.enqueue("org", "call-" + std::to_string(i % 10), "status-update", t,
                       R"({"message":{"n":)" + std::to_string(i) + "}}");
    hold.set_value();
    ASSERT_TRUE(waitUntil([&] { return watch->seen(); }, 5000)) << "the database refused the batch";
    admin.exec("DROP TRIGGER refuse_200");  // the fault is gone: one failure in all

    bool all = waitUntil([&] {
        std::lock_guard lock(rx.mu);
        return rx.delivered.size() >= 250;
    }, 15000);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a second delivery would land now
    outbox.stop();
    std::lock_guard lock(rx.mu);
    ASSERT_TRUE(all) << "delivered " << rx.delivered.size() << " of 250";
    std::map<int64_t, int> perN;
    std::set<std::string> ids;
    for (auto& [id, body] : rx.delivered) {
        ids.insert(id);
        ++perN[json::parse(body).at("message").at("n").as_int64()];
    }
    EXPECT_EQ(rx.delivered.size(), 250u) << "each event delivered exactly once";
    EXPECT_EQ(ids.size(), 250u) << "one id per event";
    EXPECT_EQ(perN.size(), 250u);
    for (auto& [n, count] : perN) EXPECT_EQ(count, 1) << "event " << n;
    EXPECT_EQ(store->listEvents("org", "", "delivered", 1000).size(), 250u);
    EXPECT_GE(outbox.stats().storeErrors.load(), 1);
    removeDir = dir;
}

// While the database refuses every write, at most maxQueued events wait in memory; the rest
// are dropped at once (logged once, counted), and those kept are delivered once it is back.
TEST_F(OutboxTest, TheQueueWaitingForTheDatabaseIsBoundedAndDropsAreCounted) {
    auto dir = std::filesystem::temp_directory_path() /
               ("voxa_outbox_bound_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    store = store::open({.databaseUrl = "", .dataDir = dir.string()});
    store->migrate();
    store->insertOrg({.id = "org", .name = "o", .createdAt = "t", .updatedAt = "t", .body = "{}"});
    store::SqliteConn admin((dir / "voxa.db").string(), false);
    admin.exec("CREATE TRIGGER refuse_all BEFORE INSERT ON webhook_outbox"
               " BEGIN SELECT RAISE(ABORT, 'database down'); END");
    Outbox outbox(*store, db, io.get_executor(), {.pollMs = 50, .maxQueued = 5});
    outbox.start();
    Target t{.url = rx.url()};
    std::promise<void> hold;  // the loop is held: the writer cannot take a batch meanwhile
    asio::post(io, [f = hold.get_future().share()] { f.wait(); });
    for (int i = 0; i < 12; ++i)
        outbox.enqueue("org", "call-a", "status-update", t, R"({"message":{"n":)" + std::to_string(i) + "}}");
    hold.set_value();
    EXPECT_EQ(outbox.queued(), 5);
    EXPECT_EQ(outbox.stats().enqueued.load(), 5);
    EXPECT_EQ(outbox.stats().dropped.load(), 7);
    ASSERT_TRUE(waitUntil([&] { return outbox.stats().storeErrors.load() >= 1; }, 5000));
    admin.exec("DROP TRIGGER refuse_all");
    auto kept = outbox.stats().enqueued.load();
    ASSERT_TRUE(waitUntil([&] { return outbox.stats().delivered.load() == kept; }, 10000));
    EXPECT_EQ(outbox.queued(), 0);
    outbox.stop();
    std::lock_guard lock(rx.mu);
    EXPECT_EQ(static_cast<int64_t>(rx.delivered.size()), kept);
    removeDir = dir;  // store closed and dir removed in TearDown, after the loops are joined
}

}  // namespace
}  // namespace voxa::webhooks

// Time to first token of Voxa's model providers, cold and warm pool (issue #13). Runs the
// provider code a call runs (Registry -> LlmSession::complete -> net::fetch and its pool ->
// the stream decoder) in this process, on `--loops` event loops like `voxa serve`'s, against
// a fake at --url (bench/llm/run.mjs starts the fakes and prints the table):
//
//   llm_bench --provider openai --url https://127.0.0.1:PORT/v1 --calls 200 --turns 3
//             --mode warm|cold [--loops 2] [--settle-ms 300] [--spread-ms 1000] [--gap-ms 300]
//   llm_bench --provider anthropic --fake native --delay-ms 20 [--cert c.pem --key k.pem] ...
//
// --fake native: instead of --url, a fake in this process (native_fake.h) that stamps each
// request at the socket and answers exactly --delay-ms later, so "TTFT - fake's own time" is
// Voxa plus two loopback hops, with no other runtime's wake-ups in it.
//
// A call opens its session (which warms a connection: net::warm), waits settle + a random
// part of spread (the greeting), then takes `turns` turns `gap` apart. mode=cold keeps no
// connection (PoolOptions::maxIdlePerHost = 0): every request connects (TLS sessions are
// still resumed, as in a node whose pool went idle). Time to first token is Voxa's own
// histogram, voxa_llm_first_token_seconds{provider} (request start -> first text delta
// handed to the call); the driver also times each turn itself over the same interval, for
// exact quantiles. One JSON line on stdout.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "native_fake.h"
#include "net/egress.h"
#include "net/pool.h"
#include "net/read_time.h"
#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/providers.h"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace voxa;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string provider = "openai";
    std::string url;
    std::string model = "bench-model";
    int calls = 1;
    int turns = 10;
    std::string mode = "warm";
    int loops = 2;
    int settleMs = 300;
    int spreadMs = 0;
    int gapMs = 300;
    std::string fake;  // "native": start bench::NativeFake instead of using --url
    double delayMs = 20;
    std::string cert, key;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--provider") a.provider = v;
        else if (k == "--url") a.url = v;
        else if (k == "--model") a.model = v;
        else if (k == "--calls") a.calls = std::stoi(v);
        else if (k == "--turns") a.turns = std::stoi(v);
        else if (k == "--mode") a.mode = v;
        else if (k == "--loops") a.loops = std::stoi(v);
        else if (k == "--settle-ms") a.settleMs = std::stoi(v);
        else if (k == "--spread-ms") a.spreadMs = std::stoi(v);
        else if (k == "--gap-ms") a.gapMs = std::stoi(v);
        else if (k == "--fake") a.fake = v;
        else if (k == "--delay-ms") a.delayMs = std::stod(v);
        else if (k == "--cert") a.cert = v;
        else if (k == "--key") a.key = v;
        else throw std::invalid_argument("unknown option " + k);
    }
    if (a.url.empty() && a.fake != "native") throw std::invalid_argument("--url or --fake native is required");
    if (a.mode != "warm" && a.mode != "cold") throw std::invalid_argument("--mode warm|cold");
    return a;
}

struct Results {
    std::mutex m;
    std::vector<double> ttftMs;
    std::vector<double> afterReadMs;  // of those: from the read that brought the token
    int errors = 0;
    std::string lastError;
    std::atomic<int> callsDone{0};
};

// One call: its session, then `turns` turns in a row.
struct Call : std::enable_shared_from_this<Call> {
    Call(asio::io_context& io, const Args& a, Results& r, std::chrono::milliseconds firstAt)
        : io(io), args(a), results(r), timer(io), firstAt(firstAt) {}

    asio::io_context& io;
    const Args& args;
    Results& results;
    asio::steady_timer timer;
    std::chrono::milliseconds firstAt;
    std::unique_ptr<providers::LlmSession> session;
    std::shared_ptr<providers::LlmTurn> turn;
    int turnsDone = 0;
    Clock::time_point start;
    bool gotToken = false;

    void begin() {
        providers::Context ctx;
        ctx.executor = io.get_executor();
        json::object config{{"provider", args.provider}, {"model", args.model}, {"maxTokens", 64}};
        session = providers::Registry::instance().llm(args.provider)->open(config, ctx);
        after(firstAt);
    }
    void after(std::chrono::milliseconds d) {
        timer.expires_after(d);
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->ask();
        });
    }
    void ask() {
        providers::LlmRequest req;
        req.messages = json::parse(R"([{"role":"system","content":"You book appointments. Be brief."},
            {"role":"user","content":"I would like to book an appointment"}])").as_array();
        gotToken = false;
        start = Clock::now();
        auto self = shared_from_this();
        turn = session->complete(std::move(req), {
            .onText = [self](const std::string&) {
                if (self->gotToken) return;
                self->gotToken = true;
                auto now = Clock::now();
                double ms = std::chrono::duration<double, std::milli>(now - self->start).count();
                // Voxa's own time after the bytes were read (HTTP, SSE and JSON decoding):
                // fetch() runs the body callback inside the read's net::ReadScope.
                double after = std::chrono::duration<double, std::milli>(now - net::readTime()).count();
                std::lock_guard lock(self->results.m);
                self->results.ttftMs.push_back(ms);
                self->results.afterReadMs.push_back(after);
            },
            .onDone = [self](const providers::Usage&) { self->next(); },
            .onError = [self](const providers::ProviderError& e) {
                {
                    std::lock_guard lock(self->results.m);
                    ++self->results.errors;
                    self->results.lastError = e.message;
                }
                self->next();
            },
        });
    }
    void next() {
        // Not from inside the turn's own callback: the turn is released first.
        asio::post(io, [self = shared_from_this()] {
            self->turn.reset();
            if (++self->turnsDone < self->args.turns) return self->after(std::chrono::milliseconds(self->args.gapMs));
            self->session.reset();
            ++self->results.callsDone;
        });
    }
};

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
    return v[i];
}

// A sample's value from the Prometheus text: name{labels} value.
double metric(const std::string& text, const std::string& series) {
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return 0;
    return std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

}  // namespace

int main(int argc, char** argv) try {
    Args a = parse(argc, argv);
    if (!providers::Registry::instance().llm(a.provider)) throw std::invalid_argument("no model provider " + a.provider);
    std::unique_ptr<bench::NativeFake> fake;
    if (a.fake == "native") {
        fake = std::make_unique<bench::NativeFake>(bench::NativeFakeOptions{
            .provider = a.provider,
            .delay = std::chrono::microseconds(static_cast<int64_t>(a.delayMs * 1000)),
            .certFile = a.cert,
            .keyFile = a.key});
        fake->start();
        a.url = fake->url();
        // The driver trusts the fake's certificate as run.mjs's TLS front is trusted.
        if (!a.cert.empty()) setenv("SSL_CERT_FILE", a.cert.c_str(), 1);
    }
    providers::setOperatorUrls({{a.provider, a.url}});  // as `voxa serve --provider-url`
    if (const char* var = providers::keyEnvVar(a.provider); var && !std::getenv(var)) setenv(var, "bench-key", 1);
    if (a.mode == "cold") {
        net::PoolOptions cold;
        cold.maxIdlePerHost = 0;
        net::setPoolOptions(cold);
    }

    std::vector<std::unique_ptr<asio::io_context>> loops;
    for (int i = 0; i < std::max(1, a.loops); ++i) loops.push_back(std::make_unique<asio::io_context>(1));
    Results results;
    std::mt19937 rng(13);
    std::uniform_int_distribution<int> spread(0, std::max(0, a.spreadMs));
    auto begun = Clock::now();
    for (int i = 0; i < a.calls; ++i) {
        auto& io = *loops[static_cast<size_t>(i) % loops.size()];
        auto call = std::make_shared<Call>(io, a, results, std::chrono::milliseconds(a.settleMs + spread(rng)));
        asio::post(io, [call] { call->begin(); });
    }
    std::vector<std::thread> threads;
    for (auto& io : loops)
        threads.emplace_back([&io, &results, &a] {
            auto work = asio::make_work_guard(*io);
            while (results.callsDone.load() < a.calls) io->run_for(std::chrono::milliseconds(50));
        });
    for (auto& t : threads) t.join();
    double wall = std::chrono::duration<double>(Clock::now() - begun).count();

    std::string text = "\n" + metrics::text();
    std::string p = "{provider=\"" + a.provider + "\"}";
    double sum = metric(text, "voxa_llm_first_token_seconds_sum" + p);
    double count = metric(text, "voxa_llm_first_token_seconds_count" + p);
    json::object out{
        {"provider", a.provider}, {"mode", a.mode}, {"calls", a.calls}, {"turns", a.turns}, {"loops", a.loops},
        {"samples", results.ttftMs.size()}, {"errors", results.errors}, {"lastError", results.lastError},
        {"wallSeconds", wall},
        {"ttftMs", json::object{{"p50", quantile(results.ttftMs, 0.5)}, {"p90", quantile(results.ttftMs, 0.9)},
                                {"p99", quantile(results.ttftMs, 0.99)}, {"max", quantile(results.ttftMs, 1.0)}}},
        {"samplesMs", a.calls == 1 ? json::value(json::value_from(results.ttftMs)) : json::value(nullptr)},
        {"afterReadMs", json::object{{"p50", quantile(results.afterReadMs, 0.5)},
                                     {"p99", quantile(results.afterReadMs, 0.99)}}},
        {"histogram", json::object{{"count", count}, {"meanMs", count > 0 ? 1000 * sum / count : 0}}},
        {"pool", json::object{{"hits", metric(text, "voxa_http_pool_requests_total{result=\"hit\"}")},
                              {"misses", metric(text, "voxa_http_pool_requests_total{result=\"miss\"}")},
                              {"retries", metric(text, "voxa_http_pool_retries_total")},
                              {"warmed", metric(text, "voxa_http_pool_warmed_total")},
                              {"tlsResumed", metric(text, "voxa_http_pool_tls_handshakes_total{resumed=\"true\"}")},
                              {"tlsFull", metric(text, "voxa_http_pool_tls_handshakes_total{resumed=\"false\"}")}}},
    };
    if (fake) {
        // The fake's own time per request (last byte read -> first event written), and with
        // one call each turn's TTFT minus it: what Voxa and the two loopback hops took.
        std::vector<double> own = fake->ownTimesMs();
        out["fakeOwnMs"] = json::object{{"p50", quantile(own, 0.5)}, {"p99", quantile(own, 0.99)}};
        if (a.calls == 1 && own.size() == results.ttftMs.size()) {
            std::vector<double> d;
            for (size_t i = 0; i < own.size(); ++i) d.push_back(results.ttftMs[i] - own[i]);
            out["overFakeMs"] = json::object{{"p50", quantile(d, 0.5)}, {"p90", quantile(d, 0.9)},
                                             {"p99", quantile(d, 0.99)}, {"max", quantile(d, 1.0)}};
        }
        out["fake"] = "native";
        out["delayMs"] = a.delayMs;
        out["tls"] = !a.cert.empty();
    }
    std::cout << json::serialize(out) << std::endl;
    return 0;
} catch (const std::exception& e) {
    std::cerr << "llm_bench: " << e.what() << "\n";
    return 2;
}

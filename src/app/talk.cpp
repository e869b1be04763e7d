// `voxa talk`: a one-line client for hearing an assistant answer, offline.
//   build/voxa talk --assistant ID --wav question.wav --out reply.wav
// Creates a call over Vapi's WebSocket transport, streams the WAV in real time, records
// what the assistant says, prints the transcript, and hangs up once the reply is over.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstring>
#include <iostream>

#include "app/app.h"
#include "audio/wav.h"
#include "net/http_client.h"
#include "net/websocket.h"

namespace voxa::app {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

struct TalkState {
    audio::Samples reply;
    int64_t assistantStops = 0;
    bool ended = false;
    std::string endedReason;
    Clock::time_point lastAudio = Clock::now();
};

asio::awaitable<void> reader(std::shared_ptr<net::WsConnection> ws, std::shared_ptr<TalkState> st,
                             std::ostream* out) {
    while (auto m = co_await ws->read()) {
        if (m->binary) {
            size_t n = m->data.size() / 2;
            size_t old = st->reply.size();
            st->reply.resize(old + n);
            std::memcpy(st->reply.data() + old, m->data.data(), n * 2);
            st->lastAudio = Clock::now();
            continue;
        }
        std::error_code ec;
        auto v = json::parse(m->data, ec);
        if (ec || !v.is_object()) continue;
        auto& o = v.as_object();
        auto type = o.contains("type") ? std::string(o.at("type").as_string()) : "";
        if (type == "transcript" && o.contains("transcriptType") && o.at("transcriptType") == "final")
            *out << (o.at("role") == "user" ? "User: " : "AI:   ") << o.at("transcript").as_string().c_str()
                 << std::endl;
        else if (type == "speech-update" && o.at("role") == "assistant" && o.at("status") == "stopped")
            ++st->assistantStops;
        else if (type == "status-update" && o.at("status") == "ended") {
            st->ended = true;
            if (auto* r = o.if_contains("endedReason"); r && r->is_string())
                st->endedReason = std::string(r->as_string());
        } else if (type == "error")
            *out << "server: " << o.at("error").as_string().c_str() << std::endl;
    }
    st->ended = true;
}

asio::awaitable<int> talk(TalkConfig cfg, std::ostream& out) {
    auto ex = co_await asio::this_coro::executor;
    audio::Samples question;
    if (!cfg.wav.empty()) question = audio::readWav(cfg.wav, audio::kRate);
    json::object body{{"transport", json::object{{"provider", "vapi.websocket"},
                                                 {"audioFormat", json::object{{"format", "pcm_s16le"},
                                                                              {"container", "raw"},
                                                                              {"sampleRate", audio::kRate}}}}}};
    body["assistantId"] = cfg.assistantId;
    // The user's own server, named on the command line: not held to the egress policy.
    net::HttpClientRequest req{.method = "POST", .url = cfg.url + "/call", .source = net::UrlSource::Operator};
    req.headers.push_back({"Authorization", "Bearer " + cfg.key});
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = json::serialize(body);
    auto res = co_await net::fetch(std::move(req));
    if (!res.success()) {
        out << "voxa talk: POST /call failed: " << (res.ok() ? res.body : res.error) << std::endl;
        co_return 1;
    }
    auto call = json::parse(res.body).as_object();
    std::string callId(call.at("id").as_string());
    std::string wsUrl(call.at("transport").at("websocketCallUrl").as_string());
    out << "call " << callId << std::endl;
    auto ws = co_await net::connectWebSocket(wsUrl, {}, net::UrlSource::Operator);
    if (!ws) {
        out << "voxa talk: cannot connect to " << wsUrl << std::endl;
        co_return 1;
    }
    auto st = std::make_shared<TalkState>();
    asio::co_spawn(ex, reader(ws, st, &out), asio::detached);

    asio::steady_timer timer(ex);
    auto next = Clock::now();
    auto sendFrame = [&](std::span<const int16_t> f) {
        std::string bytes(f.size() * 2, '\0');
        std::memcpy(bytes.data(), f.data(), bytes.size());
        ws->send(std::move(bytes), true);
    };
    const int16_t zeros[audio::kFrameSamples] = {};
    // Let the first message play before asking.
    auto until = Clock::now() + std::chrono::milliseconds(static_cast<int>(cfg.leadSeconds * 1000));
    while (Clock::now() < until && !st->ended) {
        next += std::chrono::milliseconds(audio::kFrameMs);
        timer.expires_at(next);
        co_await timer.async_wait(asio::use_awaitable);
        sendFrame(zeros);
    }
    int64_t stopsBefore = st->assistantStops;
    for (size_t off = 0; off < question.size() && !st->ended; off += audio::kFrameSamples) {
        next += std::chrono::milliseconds(audio::kFrameMs);
        timer.expires_at(next);
        co_await timer.async_wait(asio::use_awaitable);
        size_t n = std::min<size_t>(audio::kFrameSamples, question.size() - off);
        sendFrame(std::span<const int16_t>(question.data() + off, n));
    }
    // Silence until the assistant has answered (or the wait runs out).
    auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int>(cfg.waitSeconds * 1000));
    while (!st->ended && Clock::now() < deadline &&
           !(st->assistantStops > stopsBefore && Clock::now() - st->lastAudio > std::chrono::milliseconds(500))) {
        next += std::chrono::milliseconds(audio::kFrameMs);
        timer.expires_at(next);
        co_await timer.async_wait(asio::use_awaitable);
        sendFrame(zeros);
    }
    if (!st->ended) ws->send(R"({"type":"end-call"})", false);
    timer.expires_after(std::chrono::milliseconds(500));
    co_await timer.async_wait(asio::use_awaitable);
    ws->close();
    if (!cfg.out.empty()) {
        audio::writeWav(cfg.out, st->reply, audio::kRate);
        out << "wrote " << cfg.out << " (" << st->reply.size() / audio::kRate << " s of assistant audio)" << std::endl;
    }
    out << "ended: " << (st->endedReason.empty() ? "customer-ended-call" : st->endedReason) << std::endl;
    co_return 0;
}

}  // namespace

int runTalk(const TalkConfig& cfg, std::ostream& out) {
    asio::io_context io;
    int rc = 1;
    asio::co_spawn(io, talk(cfg, out), [&](std::exception_ptr e, int r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                out << "voxa talk: " << ex.what() << std::endl;
            }
        } else {
            rc = r;
        }
    });
    io.run();
    return rc;
}

}  // namespace voxa::app

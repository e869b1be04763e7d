#include "native_fake.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <mutex>
#include <thread>

namespace voxa::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use = asio::as_tuple(asio::use_awaitable);

std::string chunk(const std::string& payload) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
    return size + payload + "\r\n";
}

// The first text event and the rest of the reply, in the provider's streaming format.
std::pair<std::string, std::string> events(const std::string& provider) {
    if (provider == "anthropic") {
        auto ev = [](const char* type, const std::string& data) {
            return std::string("event: ") + type + "\ndata: " + data + "\n\n";
        };
        std::string first =
            ev("message_start", R"({"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":20,"output_tokens":1}}})") +
            ev("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
            ev("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Sure, I can help with that."}})");
        std::string rest =
            ev("content_block_stop", R"({"type":"content_block_stop","index":0})") +
            ev("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":8}})") +
            ev("message_stop", R"({"type":"message_stop"})");
        return {first, rest};
    }
    if (provider == "google") {
        return {R"(data: {"candidates":[{"content":{"parts":[{"text":"Sure, I can help with that."}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-flash"})" "\r\n\r\n",
                R"(data: {"candidates":[{"content":{"parts":[{"text":" What day works best?"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":12,"totalTokenCount":32},"modelVersion":"gemini-2.5-flash"})" "\r\n\r\n"};
    }
    return {R"(data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"role":"assistant","content":"Sure, I can help with that."},"finish_reason":null}]})" "\n\n",
            R"(data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":8,"total_tokens":28}})" "\n\n"
            "data: [DONE]\n\n"};
}

}  // namespace

struct NativeFake::Impl {
    NativeFakeOptions opt;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::optional<asio::ssl::context> tls;
    std::thread thread;
    mutable std::mutex m;
    std::vector<double> own;
    std::string first, rest;

    template <class Stream>
    asio::awaitable<void> serve(Stream& s) {
        boost::beast::flat_buffer buf;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(s, buf, req, use);
            if (ec) co_return;
            auto read = Clock::now();
            asio::steady_timer t(io);
            t.expires_at(read + opt.delay);
            co_await t.async_wait(use);
            std::string head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(first);
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(head), use);
            if (wec) co_return;
            double ms = std::chrono::duration<double, std::milli>(Clock::now() - read).count();
            {
                std::lock_guard lock(m);
                own.push_back(ms);
            }
            std::string tail = chunk(rest) + "0\r\n\r\n";
            auto [tec, tn] = co_await asio::async_write(s, asio::buffer(tail), use);
            if (tec) co_return;
        }
    }

    asio::awaitable<void> session(tcp::socket sock) {
        sock.set_option(tcp::no_delay(true));
        if (!tls) {
            co_await serve(sock);
            co_return;
        }
        asio::ssl::stream<tcp::socket> s(std::move(sock), *tls);
        auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, use);
        if (ec) co_return;
        co_await serve(s);
    }

    asio::awaitable<void> accept() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use);
            if (ec) co_return;
            asio::co_spawn(io, session(std::move(sock)), asio::detached);
        }
    }
};

NativeFake::NativeFake(NativeFakeOptions o) : impl_(std::make_unique<Impl>()) {
    impl_->opt = std::move(o);
    std::tie(impl_->first, impl_->rest) = events(impl_->opt.provider);
    if (!impl_->opt.certFile.empty() && !impl_->opt.keyFile.empty()) {
        impl_->tls.emplace(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(impl_->opt.certFile);
        impl_->tls->use_private_key_file(impl_->opt.keyFile, asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
}

NativeFake::~NativeFake() {
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

void NativeFake::start() {
    asio::co_spawn(impl_->io, impl_->accept(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

std::string NativeFake::url() const {
    std::string base = std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" +
                       std::to_string(impl_->acceptor.local_endpoint().port());
    return impl_->opt.provider == "openai" ? base + "/v1" : base;
}

std::vector<double> NativeFake::ownTimesMs() const {
    std::lock_guard lock(impl_->m);
    return impl_->own;
}

}  // namespace voxa::bench

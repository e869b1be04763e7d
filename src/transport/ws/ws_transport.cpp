#include "transport/ws/ws_transport.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cstring>

#include "audio/g711.h"
#include "audio/resampler.h"
#include "call/session.h"

namespace voxa::transport::ws {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string errorJson(const std::string& e) {
    return json::serialize(json::object{{"type", "error"}, {"error", e}});
}

// Converts the pipeline's audio to the client's format and sends it.
class WsSink final : public call::TransportSink {
public:
    explicit WsSink(std::shared_ptr<net::WsConnection> ws) : ws_(std::move(ws)) {}
    void setFormat(AudioFormat f) {
        fmt_ = f;
        out_ = std::make_unique<audio::Resampler>(audio::kRate, f.rate);
    }
    void sendAudio(std::span<const int16_t> pcm) override {
        auto ws = ws_.lock();
        if (!ws || !ws->isOpen()) return;
        std::span<const int16_t> src = pcm;
        if (fmt_.rate != audio::kRate) {
            buf_.clear();
            out_->process(pcm, buf_);
            src = buf_;
        }
        std::string bytes;
        if (fmt_.mulaw) {
            audio::g711::encodeUlaw(src, bytes);
        } else {
            bytes.resize(src.size() * 2);
            std::memcpy(bytes.data(), src.data(), bytes.size());  // little-endian host
        }
        ws->send(std::move(bytes), true);
    }
    void clearAudio() override {
        // Barge-in: the resampler's filter still holds the tail of the interrupted audio;
        // without a reset it would open the next reply (a click).
        if (out_) out_->reset();
    }
    void sendJson(const json::object& message) override {
        if (auto ws = ws_.lock(); ws && ws->isOpen()) ws->send(json::serialize(message), false);
    }
    void close() override {
        if (auto ws = ws_.lock()) ws->close(1000, "call ended");
    }

private:
    std::weak_ptr<net::WsConnection> ws_;
    AudioFormat fmt_;
    std::unique_ptr<audio::Resampler> out_;
    audio::Samples buf_;
};

}  // namespace

asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws, call::CallManager& calls,
                            std::string callId, std::string token, std::string bearerOrgId) {
    auto sink = std::make_shared<WsSink>(ws);
    auto session = co_await calls.attach(callId, token, bearerOrgId, sink, ws->executor());
    if (!session) {
        ws->send(errorJson("this call does not exist, has already been connected, or the token is wrong"), false);
        ws->close(1008, "call not available");
        co_return;
    }
    AudioFormat fmt = formatOf(session->record());
    sink->setFormat(fmt);
    InboundParser parser(fmt);
    while (auto msg = co_await ws->read()) {
        if (session->ended()) break;
        Inbound in = parser.parse(msg->binary, msg->data);
        switch (in.kind) {
            case Inbound::Audio: session->onAudio(in.pcm); break;
            case Inbound::Message:
                if (auto err = session->onClientMessage(in.message)) ws->send(errorJson(*err), false);
                break;
            case Inbound::Error: ws->send(errorJson(in.error), false); break;
            case Inbound::Nothing: break;
        }
    }
    if (!session->ended()) session->onTransportClosed();
}

}  // namespace voxa::transport::ws

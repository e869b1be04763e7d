#include "transport/twilio/twilio_transport.h"

#include <spdlog/spdlog.h>

#include "call/session.h"
#include "transport/twilio/media_stream.h"

namespace voxa::transport::twilio {

namespace asio = boost::asio;

namespace {

class TwilioSink final : public call::TransportSink {
public:
    TwilioSink(std::shared_ptr<net::WsConnection> ws, std::string streamSid)
        : ws_(std::move(ws)), writer_(std::move(streamSid)) {}
    void sendAudio(std::span<const int16_t> pcm) override {
        if (auto ws = ws_.lock(); ws && ws->isOpen()) ws->send(writer_.media(pcm), false);
    }
    void sendJson(const boost::json::object&) override {}  // Twilio has no client messages
    void clearAudio() override {
        if (auto ws = ws_.lock(); ws && ws->isOpen()) ws->send(writer_.clear(), false);
    }
    void close() override {
        if (auto ws = ws_.lock()) ws->close(1000, "call ended");
    }

private:
    std::weak_ptr<net::WsConnection> ws_;
    MediaStreamWriter writer_;
};

}  // namespace

asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws, call::CallManager& calls,
                            std::string callId) {
    MediaStreamParser parser;
    std::shared_ptr<call::CallSession> session;
    int errors = 0;
    while (auto msg = co_await ws->read()) {
        if (msg->binary) continue;
        TwilioEvent ev = parser.parse(msg->data);
        if (session && session->ended()) break;
        switch (ev.kind) {
            case TwilioEvent::Start: {
                if (session) break;
                auto sink = std::make_shared<TwilioSink>(ws, ev.streamSid);
                session = co_await calls.attach(callId, ev.token, "", sink, ws->executor());
                if (!session) {
                    spdlog::warn(R"({{"msg":"twilio stream refused","callId":"{}"}})", callId);
                    ws->close(1008, "call not available");
                    co_return;
                }
                break;
            }
            case TwilioEvent::Media:
                if (session) session->onAudio(ev.pcm);
                break;
            case TwilioEvent::Stop:
                if (session && !session->ended()) session->onTransportClosed();
                co_return;
            case TwilioEvent::Error:
                // Bad frames are dropped; the call goes on (logged, not every time).
                if (++errors <= 5) spdlog::warn(R"({{"msg":"twilio stream: {}","callId":"{}"}})", ev.error, callId);
                break;
            default: break;
        }
    }
    if (session && !session->ended()) session->onTransportClosed();
}

}  // namespace voxa::transport::twilio

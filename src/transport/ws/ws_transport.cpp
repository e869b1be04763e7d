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

struct Format {
    bool mulaw = false;
    int rate = 16000;
};

Format formatOf(const json::object& record) {
    Format f;
    if (auto* t = record.if_contains("transport"); t && t->is_object())
        if (auto* af = t->as_object().if_contains("audioFormat"); af && af->is_object()) {
            auto& o = af->as_object();
            if (auto* v = o.if_contains("format"); v && v->is_string()) f.mulaw = v->as_string() == "mulaw";
            if (auto* v = o.if_contains("sampleRate"); v && v->is_number())
                f.rate = static_cast<int>(v->to_number<double>());
        }
    return f;
}

std::string errorJson(const std::string& e) {
    return json::serialize(json::object{{"type", "error"}, {"error", e}});
}

// Converts the pipeline's audio to the client's format and sends it.
class WsSink final : public call::TransportSink {
public:
    explicit WsSink(std::shared_ptr<net::WsConnection> ws) : ws_(std::move(ws)) {}
    void setFormat(Format f) {
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
    void sendJson(const json::object& message) override {
        if (auto ws = ws_.lock(); ws && ws->isOpen()) ws->send(json::serialize(message), false);
    }
    void close() override {
        if (auto ws = ws_.lock()) ws->close(1000, "call ended");
    }

private:
    std::weak_ptr<net::WsConnection> ws_;
    Format fmt_;
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
    Format fmt = formatOf(session->record());
    sink->setFormat(fmt);
    audio::Resampler in(fmt.rate, audio::kRate);
    audio::Samples pcm, wide;
    std::string carry;  // an odd trailing byte of s16le audio
    while (auto msg = co_await ws->read()) {
        if (session->ended()) break;
        if (msg->binary) {
            if (msg->data.size() > kMaxAudioFrameBytes) {
                ws->send(errorJson("audio frame of " + std::to_string(msg->data.size()) +
                                   " bytes dropped: send at most 65536 bytes per frame (20 ms is best)"),
                         false);
                continue;
            }
            pcm.clear();
            if (fmt.mulaw) {
                audio::g711::decodeUlaw(std::string_view(msg->data), pcm);
            } else {
                std::string data = carry + msg->data;
                carry.clear();
                if (data.size() % 2) {
                    carry = data.substr(data.size() - 1);
                    data.pop_back();
                }
                pcm.resize(data.size() / 2);
                std::memcpy(pcm.data(), data.data(), data.size());
            }
            if (fmt.rate == audio::kRate) {
                session->onAudio(pcm);
            } else {
                wide.clear();
                in.process(pcm, wide);
                session->onAudio(wide);
            }
            continue;
        }
        std::error_code ec;
        json::parse_options opts;
        opts.max_depth = 32;
        json::value v = json::parse(msg->data, ec, {}, opts);
        if (ec || !v.is_object()) {
            ws->send(errorJson("invalid JSON message: " + (ec ? ec.message() : std::string("not an object"))), false);
            continue;
        }
        if (auto err = session->onClientMessage(v.as_object())) ws->send(errorJson(*err), false);
    }
    if (!session->ended()) session->onTransportClosed();
}

}  // namespace voxa::transport::ws

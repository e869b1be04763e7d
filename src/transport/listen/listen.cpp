#include "transport/listen/listen.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <cstring>

#include "call/session.h"

namespace voxa::transport::listen {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Hands the session's stereo frames to the listener's connection (another event loop).
class WsListener final : public call::Listener {
public:
    explicit WsListener(std::shared_ptr<net::WsConnection> ws) : ws_(ws), ex_(ws->executor()) {}
    void sendFrame(std::span<const int16_t> stereo) override {
        std::string bytes(stereo.size() * 2, '\0');
        std::memcpy(bytes.data(), stereo.data(), bytes.size());  // little-endian host
        asio::post(ex_, [w = ws_, b = std::move(bytes)]() mutable {
            if (auto ws = w.lock(); ws && ws->isOpen()) ws->send(std::move(b), true);
        });
    }
    void ended() override {
        asio::post(ex_, [w = ws_] {
            if (auto ws = w.lock()) ws->close(1000, "call ended");
        });
    }

private:
    std::weak_ptr<net::WsConnection> ws_;
    asio::any_io_executor ex_;
};

}  // namespace

asio::awaitable<void> serve(std::shared_ptr<net::WsConnection> ws, call::CallManager& calls,
                            std::string callId) {
    // A listener may connect as soon as the call exists; it waits for the transport.
    auto session = calls.live(callId);
    asio::steady_timer wait(ws->executor());
    for (int i = 0; !session && i < 1200 && ws->isOpen() && calls.active(callId); ++i) {
        wait.expires_after(std::chrono::milliseconds(50));
        co_await wait.async_wait(asio::use_awaitable);
        session = calls.live(callId);
    }
    if (!session) {
        ws->close(1008, "call not in progress");
        co_return;
    }
    auto listener = std::make_shared<WsListener>(ws);
    ws->send(json::serialize(json::object{{"type", "listen-started"},
                                          {"callId", callId},
                                          {"format", "pcm_s16le"},
                                          {"sampleRate", audio::kRate},
                                          {"channels", 2},
                                          {"channelLayout", json::array{"customer", "assistant"}}}),
             false);
    asio::post(session->executor(), [session, listener] { session->addListener(listener); });
    // Nothing is read from a listener; this loop only notices when it leaves.
    while (auto msg = co_await ws->read()) {
    }
    asio::post(session->executor(), [session, listener] { session->removeListener(listener); });
}

}  // namespace voxa::transport::listen

// An in-process fake of OpenAI's chat completions endpoint (and a general scriptable HTTP
// server) for tests: real sockets, real chunked SSE, configurable delays, TLS optional.
//
//   voxa::fakes::FakeOpenAiServer fake;                 // 127.0.0.1, random port, own thread
//   fake.enqueue(FakeOpenAiServer::textStream({"Hel", "lo"}, {.promptTokens = 9}));
//   fake.enqueue(FakeOpenAiServer::errorReply(401, "Incorrect API key provided"));
//   ... point the client at fake.baseUrl() ("http://127.0.0.1:PORT/v1") ...
//   auto reqs = fake.requests();                        // what the client sent
//   EXPECT_EQ(reqs[0].json().at("stream"), true);
//
// Replies are served in enqueue order; with the queue empty, the handler (if set) decides,
// else the answer is 404.
#pragma once
#include <boost/json/value.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace voxa::fakes {

struct RecordedRequest {
    std::string method;
    std::string target;
    std::vector<net::Header> headers;  // names lower-cased
    std::string body;

    std::string_view header(std::string_view lowerName) const;
    bool hasHeader(std::string_view lowerName) const;
    boost::json::value json() const;  // body parsed; null if it is not JSON
};

struct FakeReply {
    enum class Framing { Chunked, ContentLength, Close };

    int status = 200;
    std::string contentType = "text/event-stream";
    std::vector<net::Header> headers;
    std::vector<std::string> pieces;             // body, written and flushed piece by piece
    Framing framing = Framing::Chunked;
    std::chrono::milliseconds headerDelay{0};    // before the status line
    std::chrono::milliseconds pieceDelay{0};     // before each piece
    bool hang = false;          // read the request, then never answer (until shutdown)
    bool truncate = false;      // close after the pieces, without ending the body
    bool closeSilently = false; // read the request, then close without a byte of answer
    bool closeAfter = false;    // keep-alive server: answer with `Connection: close`, then close

    /// Re-cuts the body into pieces of `n` bytes (stresses parsers at odd boundaries).
    FakeReply& splitEvery(size_t n);
    std::string body() const;
};

struct FakeToolCall {
    std::string id;
    std::string name;
    std::string arguments;
};

struct FakeUsage {
    int promptTokens = 0;
    int completionTokens = 0;
};

class FakeOpenAiServer {
public:
    struct Options {
        bool tls = false;  // self-signed certificate for "localhost" / 127.0.0.1
        /// Serve several requests per connection (HTTP/1.1 keep-alive) instead of answering
        /// each with `Connection: close`.
        bool keepAlive = false;
        /// Keep-alive: close a connection idle (between requests) this long; 0 = never.
        std::chrono::milliseconds idleClose{0};
    };
    using Handler = std::function<FakeReply(const RecordedRequest&)>;

    FakeOpenAiServer();
    explicit FakeOpenAiServer(Options opts);
    ~FakeOpenAiServer();
    FakeOpenAiServer(const FakeOpenAiServer&) = delete;
    FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

    uint16_t port() const { return port_; }
    /// "http(s)://127.0.0.1:PORT" and the same with "/v1".
    std::string origin() const;
    std::string baseUrl() const { return origin() + "/v1"; }

    void enqueue(FakeReply reply);
    void setHandler(Handler handler);

    std::vector<RecordedRequest> requests() const;
    /// Blocks until `n` requests arrived; false on timeout.
    bool waitForRequests(size_t n, std::chrono::milliseconds timeout) const;
    /// Connections whose reply could not be finished because the client went away.
    int abortedReplies() const;
    bool waitForAbortedReplies(int n, std::chrono::milliseconds timeout) const;
    /// TCP connections accepted, TLS handshakes that resumed a session, and connections that
    /// ended (either side closed them).
    int connectionsAccepted() const;
    int resumedHandshakes() const;
    int connectionsClosed() const;
    bool waitForConnections(int accepted, std::chrono::milliseconds timeout) const;
    bool waitForClosedConnections(int closed, std::chrono::milliseconds timeout) const;

    // ---- OpenAI wire-format builders ----------------------------------------------------
    /// "data: <json>\n\n"
    static std::string sse(std::string_view json);
    /// One chat.completion.chunk with the given delta (and finish_reason if non-empty).
    static std::string chunk(const boost::json::object& delta, std::string_view finishReason = {});
    /// The final usage chunk (choices: []), as sent with stream_options.include_usage.
    static std::string usageChunk(FakeUsage usage);
    /// role chunk, one chunk per delta, finish_reason "stop", usage, [DONE].
    static FakeReply textStream(std::vector<std::string> deltas, FakeUsage usage = {},
                                std::chrono::milliseconds pieceDelay = {});
    /// Tool calls whose arguments arrive in fragments of `fragment` bytes, finish_reason
    /// "tool_calls", usage, [DONE].
    static FakeReply toolCallStream(std::vector<FakeToolCall> calls, size_t fragment = 5,
                                    FakeUsage usage = {});
    /// {"error":{"message","type","param":null,"code"}} with the given status.
    static FakeReply errorReply(int status, std::string message,
                                std::string type = "invalid_request_error",
                                std::string code = "invalid_api_key");

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    uint16_t port_ = 0;
    bool tls_ = false;
};

}  // namespace voxa::fakes

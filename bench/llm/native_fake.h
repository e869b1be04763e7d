// A model API fake in C++, in the bench's own process, for measuring time to first token
// without a second runtime's wake-ups in the way (issue #13: "within 1 ms of the fake's own
// delay"). It answers every POST with its provider's streaming format after exactly `delay`:
// the request is stamped when its last byte is read, the first text event is written one
// timer later, and the write's completion is stamped too, so "fake's own time" is measured
// at the socket, on the same clock as the driver.
//
//   NativeFake fake({.provider = "openai", .delay = 20ms, .certFile = c, .keyFile = k});
//   fake.start();                       // own thread, own io_context, 127.0.0.1:ephemeral
//   std::string url = fake.url();       // "https://127.0.0.1:PORT/v1" (or http:// without a cert)
//   ... run turns against it ...
//   std::vector<double> own = fake.ownTimesMs();  // per request, in arrival order
//
// Formats (one text delta, then the end of the reply): openai `data: {chat.completion.chunk}`
// + `data: [DONE]`; anthropic message_start / content_block_* / message_delta / message_stop;
// google `data: {GenerateContentResponse}` with finishReason. Chunked transfer encoding,
// keep-alive, as the real APIs do.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace voxa::bench {

struct NativeFakeOptions {
    std::string provider = "openai";  // openai | anthropic | google
    std::chrono::microseconds delay{20000};
    std::string certFile, keyFile;    // both set: TLS
};

class NativeFake {
public:
    explicit NativeFake(NativeFakeOptions o);
    ~NativeFake();
    void start();
    std::string url() const;
    /// Per request, in arrival order: last request byte read -> first text event written (ms).
    std::vector<double> ownTimesMs() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace voxa::bench

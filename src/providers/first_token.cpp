#include "providers/first_token.h"

#include <chrono>
#include <memory>

#include "common/metrics.h"

namespace voxa::providers {

namespace {

using Clock = std::chrono::steady_clock;

prometheus::Histogram& firstToken(const std::string& provider) {
    // Fine below 5 ms, where Voxa's own share of a fast model's answer is.
    static const std::vector<double> kBuckets{0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002,
                                              0.003,  0.004,   0.005,  0.0075,  0.01,  0.015,  0.02,
                                              0.03,   0.05,    0.075,  0.1,     0.25,  0.5,    1,
                                              2.5,    5,       10,     30};
    return metrics::histogram("voxa_llm_first_token_seconds",
                              "From a model request's start to its first text delta or tool call "
                              "handed to the call (the connection, the model's own time and the stream's decoding)",
                              {{"provider", provider}}, kBuckets);
}

struct Timer {
    Clock::time_point start = Clock::now();
    prometheus::Histogram* histogram;
    bool seen = false;
    void token() {
        if (seen) return;
        seen = true;
        histogram->Observe(std::chrono::duration<double>(Clock::now() - start).count());
    }
};

}  // namespace

LlmCallbacks timeFirstToken(LlmCallbacks cb, const std::string& provider) {
    auto t = std::make_shared<Timer>();
    t->histogram = &firstToken(provider.empty() ? std::string("llm") : provider);
    if (cb.onText)
        cb.onText = [t, f = std::move(cb.onText)](const std::string& delta) {
            t->token();
            f(delta);
        };
    if (cb.onToolCall)
        cb.onToolCall = [t, f = std::move(cb.onToolCall)](const ToolCall& call) {
            t->token();
            f(call);
        };
    return cb;
}

}  // namespace voxa::providers

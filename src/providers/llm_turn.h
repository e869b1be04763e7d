// One streamed model turn of an HTTP model provider (openai, anthropic, google): the
// pipeline's callbacks, the request's cancel token, and the rule that after cancel() or the
// terminal callback nothing more is delivered.
//
//   auto state = std::make_shared<LlmTurnState>();       // or a struct deriving from it
//   state->cb = std::move(cb);
//   co_spawn(ex, runTurn(state, ...));                    // fail(*state, {cause, message})
//   return std::make_shared<LlmTurnHandle<LlmTurnState>>(state);
#pragma once
#include <memory>
#include <utility>

#include "net/http_client.h"
#include "providers/providers.h"

namespace voxa::providers {

struct LlmTurnState {
    LlmCallbacks cb;
    std::shared_ptr<net::CancelToken> token = std::make_shared<net::CancelToken>();
    bool stopped = false;  // cancelled, or the terminal callback was delivered
    void stop() {
        stopped = true;
        token->cancel();
    }
};

/// The turn ends with `e` (unless it already ended).
inline void fail(LlmTurnState& s, ProviderError e) {
    if (s.stopped) return;
    s.stopped = true;
    if (s.cb.onError) s.cb.onError(e);
}

/// What complete() returns: cancel() stops the turn's state.
template <class State>
class LlmTurnHandle final : public LlmTurn {
public:
    explicit LlmTurnHandle(std::shared_ptr<State> s) : state_(std::move(s)) {}
    void cancel() override { state_->stop(); }

private:
    std::shared_ptr<State> state_;
};

}  // namespace voxa::providers

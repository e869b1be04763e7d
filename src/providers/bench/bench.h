// Deterministic benchmark providers ("provider": "bench"), so a load test measures the
// framework and not a model. They compute nothing and wait on timers of the call's loop:
//
//   "transcriber": {"provider": "bench", "text": "Book me in.", "delayMs": 100}
//       finalize() (end of speech) -> one final `text`, delayMs later
//   "model": {"provider": "bench", "reply": "Sure. When?", "firstTokenMs": 200, "tokenGapMs": 10}
//       streams `reply` word by word ("Sure. " then "When?")
//   "voice": {"provider": "bench", "firstByteMs": 100, "msPerWord": 300}
//       each sentence: after firstByteMs, words x msPerWord of a 220 Hz tone
//       (sample i = round(8000 sin(2 pi 220 i / 16000))), in 100 ms chunks at once
//
// bench/peer/livekit/ gives LiveKit Agents the same three, so both are measured alike.
#pragma once
#include <memory>

#include "providers/providers.h"

namespace voxa::providers::bench {

std::shared_ptr<SttProvider> makeSttProvider();
std::shared_ptr<TtsProvider> makeTtsProvider();
std::shared_ptr<LlmProvider> makeLlmProvider();

/// The tone the bench voice speaks for `words` words (exposed for tests).
audio::Samples tone(int words, double msPerWord);

}  // namespace voxa::providers::bench

// STT `local`: CMU pocketsphinx 0.8 (generic en-US 3-gram LM), streaming, fully offline.
//
// Transcriber config (the assistant's `transcriber` object):
//   {"provider":"local", "language":"en-US", "model":"en-us", "fast":false, "narrowband":"auto"}
//   language  "en" / "en-US" (case-insensitive) or absent; anything else -> onError.
//   model     "en-us" (default; also "default"); anything else -> onError.
//   fast      true adds `-fwdflat no -bestpath no`: final ~35 ms after finalize() instead of
//             ~200-350 ms, at 2-3x the word error rate on synthetic speech (see
//             /work/shared/notes/local-engines.md §1). Default false: accuracy first.
//   narrowband "auto" (default): "relative" when ctx.callerRate <= 8000 (phone lines), else
//             "none"; "relative" / "floor" / "none" force a fill (providers/local/narrowband.h:
//             the decoder is then fed cepstra from its own front end with the empty 4-6.8 kHz
//             mel bands refilled). Anything else -> onError.
//
// Decoders take 0.1-0.9 s to load and ~100 MB each, so a process-wide pool keeps warm ones:
// a session checks one out when it opens (warming starts at once, on ctx.compute) and gives
// it back at its first final; after that it leases one per utterance (first audio to final),
// restoring the caller's live cepstral mean, so a call that is listening holds none. Idle
// decoders stay warm (up to the live cap). Decoding runs serially per session on a strand over ctx.compute; results
// are posted to ctx.executor. Partials: when the hypothesis changed, at most one per 100 ms (fresh
// partials let the pipeline ask the model ahead on the finished words, docs/turn-taking.md).
// Finals: lower-case words as pocketsphinx gives them; confidence = per-word geometric mean
// of the best path's posterior (ps_get_prob ^ (1/words), 0-1; ~0.4-0.6 on clean synthetic
// speech); with `fast` there is no lattice, so it is a fixed 0.5. Empty final: 0.
#pragma once
#include <memory>

#include "providers/providers.h"

namespace voxa::providers::local {

std::shared_ptr<SttProvider> makePocketsphinxProvider();

/// Pool statistics, for tests and metrics.
struct DecoderPoolStats {
    int created = 0;      // decoders ever created
    int live = 0;         // currently existing (idle + leased)
    int idle = 0;
    int leased = 0;       // ready and held by a session in an utterance
    double lastInitMs = 0;
};
DecoderPoolStats decoderPoolStats();

}  // namespace voxa::providers::local

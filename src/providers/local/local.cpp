#include "providers/local/local.h"

#include "providers/local/scripted_llm.h"
#include "providers/local/stt_pocketsphinx.h"
#include "providers/local/tts_espeak.h"
#include "providers/local/tts_flite.h"
#include "providers/local/tts_worker.h"

namespace voxa::providers::local {

namespace {

/// TTS `local`: flite for English, espeak-ng for other languages or "espeak:<voice>".
class LocalTtsProvider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const boost::json::object& config, const Context& ctx,
                                     TtsCallbacks cb) override {
        std::string err;
        SynthFn synth =
            wantsEspeak(config) ? makeEspeakSynth(config, err) : makeFliteSynth(config, err);
        return std::make_unique<WorkerTtsSession>(ctx, std::move(cb), std::move(synth),
                                                  std::move(err));
    }
};

}  // namespace

std::shared_ptr<SttProvider> makeSttProvider() { return makePocketsphinxProvider(); }
std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<LocalTtsProvider>(); }
std::shared_ptr<LlmProvider> makeScriptedLlmProvider() { return makeScriptedProvider(); }

}  // namespace voxa::providers::local

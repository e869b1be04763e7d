// Embedded engines that need no key: pocketsphinx (STT), flite/espeak-ng (TTS) and the
// offline scripted model (keyword/intent rules from the assistant's config).
#pragma once
#include <memory>

#include "providers/providers.h"

namespace voxa::providers::local {

std::shared_ptr<SttProvider> makeSttProvider();
std::shared_ptr<TtsProvider> makeTtsProvider();
std::shared_ptr<LlmProvider> makeScriptedLlmProvider();

}  // namespace voxa::providers::local

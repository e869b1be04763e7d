// TTS `local` for other languages: espeak-ng (formant synthesis, ~100 languages, 22050 Hz,
// resampled to audio::kRate). Chosen when the voice config has a non-English `language`
// ("de", "fr-FR", ...) or a voiceId "espeak:<voice>" ("espeak:de", "espeak:en-us").
// `speed` 0.5-2 scales the default 175 words per minute.
//
// espeak-ng's API is process-global and not thread-safe (one current voice, one callback),
// so one mutex serializes all espeak work; it runs ~700x real time and is held for one
// sentence of at most kMaxSentenceBytes (tts_text.h), so calls wait for each other for
// milliseconds. The synth callback aborts a sentence when the session is cancelled/closed.
// espeak-ng is GPL-3+; it is linked dynamically from Debian's package.
#pragma once
#include <boost/json/object.hpp>

#include <string>

#include "providers/local/tts_worker.h"

namespace voxa::providers::local {

/// True when the config selects espeak-ng rather than flite.
bool wantsEspeak(const boost::json::object& config);

/// A SynthFn for the espeak voice the config selects. The voice is loaded on first use on
/// the compute pool, so an unknown voice is reported per speak() (onError); `err` is unused.
SynthFn makeEspeakSynth(const boost::json::object& config, std::string& err);

}  // namespace voxa::providers::local

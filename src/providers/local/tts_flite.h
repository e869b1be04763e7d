// TTS `local` (English): CMU flite 2.2 with its built-in voices, streamed.
//
// Voice config (the assistant's `voice` object):
//   {"provider":"local", "voiceId":"slt", "speed":1.0}
//   voiceId  "slt" (default, US female, clustergen), "kal16" (US male diphone, robotic, fastest),
//            "rms" (US male), "awb" (Scottish male); "cmu_us_<name>" is accepted too.
//            Anything else -> onError for each speak(). ("espeak:<lang>" goes to espeak-ng.)
//   speed    0.5-2 (clamped), mapped to flite's duration_stretch = voice default / speed.
//
// flite synthesizes each sentence with its streaming callback, so the first ~50 ms of audio
// is out long before the sentence is done (voices are 16 kHz: no resampling); the callback
// also stops a sentence mid-way when the session is cancelled or closed.
//
// Calls synthesize in parallel, without a process-wide lock. What flite shares between
// threads is read-only once set up: the lexicon (compiled-in tables, initialized once), the
// voice databases (compiled-in clustergen/diphone data, never written) and the regexes
// (compiled in; matching keeps its state per call). Synthesis writes the utterance (one per
// sentence, ours) and reads the voice's feature list, whose values carry plain-int reference
// counts that linking one into another structure changes; flite does not promise that a
// voice may be used by two threads at once. So each compute thread registers voice objects
// of its own (a feature list of a few KB over the shared data, made on first use under a
// registration mutex, deleted when the thread ends). RTF is ~0.02 per core.
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>

#include "providers/local/tts_worker.h"

namespace voxa::providers::local {

/// A SynthFn for the flite voice the config selects, or null with `err` set.
SynthFn makeFliteSynth(const boost::json::object& config, std::string& err);

/// Voice speed from config `speed`, clamped to 0.5-2 (1 when absent).
double ttsSpeed(const boost::json::object& config);

}  // namespace voxa::providers::local

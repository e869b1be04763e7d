// DTMF tones (ITU-T Q.23): keypad digits as audio, for the dtmf tool.
//
//   audio::Samples s = voxa::audio::dtmfTones("1234#");   // 16 kHz, 100 ms tone + 60 ms gap
//
// Digits 0-9, *, #, A-D; "w" is a 500 ms pause (as in Twilio's sendDigits); anything else
// is skipped. Each tone is the sum of its row and column sines at -9 dBFS each, with 5 ms
// ramps so the edges do not click.
#pragma once
#include <string_view>

#include "audio/audio.h"

namespace voxa::audio {

Samples dtmfTones(std::string_view digits, int rate = kRate, int toneMs = 100, int gapMs = 60);

/// The digits dtmfTones() would play (valid keys and pauses only).
std::string dtmfDigits(std::string_view digits);

}  // namespace voxa::audio

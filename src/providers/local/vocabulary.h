// An assistant's own words for the embedded recognizer (issue #19): from
// `transcriber.keywords` (Deepgram's "word" or "word:boost"), `transcriber.keyterm` and, when
// its model is the offline scripted one, its rules' `match`/`all` phrases.
//
//   auto bias = biasFrom(transcriberConfig, scriptedRulePhrases);
//   std::vector<std::string> missing;  // words the pronunciation dictionary lacks
//   std::string err;
//   if (!favour(ps, bias, kBiasWeight, missing, err)) spdlog::warn("{}", err);
//
// The words form a small unigram model interpolated with pocketsphinx's generic one,
// P(w | h) = (1 - weight) P_generic(w | h) + weight P_words(w), which becomes the decoder's
// search: every word keeps its context, and the assistant's words get a floor wherever they
// are said. Nothing is added to the dictionary or to the generic model: sphinxbase
// 5prealpha (Debian 12) reads out of bounds, and can crash, when it scores after a word
// added at run time (ps_add_word, ngram_model_add_word), so only words the dictionary
// already has are favoured. Measured in bench/stt (bench/RESULTS.md, "Biasing").
#pragma once
#include <pocketsphinx.h>

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace voxa::providers::local {

/// A word the recognizer should favour.
struct Bias {
    std::string word;  // lower case, as the dictionary spells it
    float boost = 1;   // relative to the other favoured words (kBiasBoost: a plain keyword)
};

/// Boost of an assistant's word with no boost of its own.
inline constexpr float kBiasBoost = 1;
/// Weight of the assistant's words against the generic model (bench/RESULTS.md, "Biasing").
inline constexpr float kBiasWeight = 0.2f;
/// At most this many words are favoured.
inline constexpr size_t kMaxBiasWords = 200;

/// The words to favour: `transcriber.keywords` ("word" or "word:N", N a positive multiplier,
/// at most 10), the words of `transcriber.keyterm` and of `phrases`; lower case,
/// deduplicated (the highest boost kept), very common words and single letters left out
/// (favouring "a" or "the" only adds errors), at most kMaxBiasWords.
std::vector<Bias> biasFrom(const boost::json::object& transcriber, const std::vector<std::string>& phrases);

/// A stable name for a bias (decoders are pooled per vocabulary); "" for none.
std::string biasKey(const std::vector<Bias>& bias);

/// Makes the interpolated model the decoder's search. Blocking (builds a search); call where
/// the decoder is made. `missing`: words the dictionary lacks (not favoured). False + `err`
/// when the decoder is left as it was.
bool favour(ps_decoder_t* ps, const std::vector<Bias>& bias, float weight, std::vector<std::string>& missing,
            std::string& err);

}  // namespace voxa::providers::local

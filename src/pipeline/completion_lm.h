// The completion model's insides (completion.h is the interface): the normalization of a
// transcript into the words pocketsphinx's trigram LM knows, the features read from the LM,
// and loading from a given path. For the unit tests and the calibration; the pipeline uses
// completion.h only.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/completion.h"

namespace voxa::pipeline::completion {

/// The LM that ships with pocketsphinx (the local transcriber decodes with the same file).
inline constexpr const char* kDefaultLmPath = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";

/// The last `n` words of `text` as the LM spells them: lower case, punctuation dropped
/// (apostrophes inside words kept), digits spoken one by one ("55" -> "five five"),
/// "dont"/"im"-style contractions given their apostrophe. Words longer than 32 bytes become
/// "<unk>". Reads only the end of `text`. When `text` has fewer than `n` words, the result is
/// shorter and *atStart is set (the turn's first word is in it).
std::vector<std::string> lastWords(std::string_view text, size_t n, bool* atStart = nullptr);

/// Words a cut-off turn typically ends on ("and", "to", "my", "is"...).
bool isTrailingWord(std::string_view word);

/// What the LM says about the end of a turn (log10 probabilities).
struct Features {
    int words = 0;              // words found (at most 2 are used)
    double endLogProb = 0;      // log10 P(</s> | last two words), <s> when the turn is shorter
    bool afterTo = false;       // "... to <word>" (an infinitive; the word not a trailing one)
    double objectLogProb = 0;   // when afterTo: log10 P(next word starts an object | h)
    int order = 0;              // n-gram order that gave endLogProb (3 = a real trigram)
    bool unknownLast = false;   // the last word is not in the LM's vocabulary
    bool trailingWord = false;  // the last word is one a cut-off turn typically ends on
    bool shortDigits = false;   // ends in 2-3 spoken digits: a number read out, mid-sequence
    bool needsObject = false;   // "tell me", "show us", "give me": a verb whose object is still to come
};

class LmCompletionModel : public CompletionModel {
public:
    ~LmCompletionModel() override;
    double probIncomplete(std::string_view words) const override;
    Features features(std::string_view words) const;
    /// The calibrated probability for already computed features.
    static double calibrated(const Features& f);

private:
    friend std::shared_ptr<const LmCompletionModel> load(const std::string& path);
    struct Lm;
    std::unique_ptr<Lm> lm_;
    LmCompletionModel();
};

/// Loads the LM at `path` (blocking, ~0.1-0.3 s); nullptr when it is missing or unreadable.
std::shared_ptr<const LmCompletionModel> load(const std::string& path);

}  // namespace voxa::pipeline::completion

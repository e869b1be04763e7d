// The completion model: P(turn incomplete | words) from pocketsphinx's trigram LM, calibrated
// on labelled voice-agent turns. Interface: completion.h; insides: completion_lm.h; Vapi's
// waitFunction is in wait_function.cpp.
//
// Memory: the LM is read into the heap (sphinxbase 5prealpha freads the trie; no mmap), about
// 34 MB of RSS for en-us.lm.bin. It cannot be shared with the local transcriber's decoders:
// a decoder reweights the model in place (ngram_model_apply_weights) and scores through the
// same unlocked backoff cache, from the compute pool's threads.
#include <algorithm>
#include "pipeline/completion.h"

#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/completion_lm.h"

namespace voxa::pipeline {

namespace completion {

namespace {

constexpr size_t kMaxWordBytes = 32;

constexpr std::array<std::string_view, 10> kDigits = {"zero", "one", "two",   "three", "four",
                                                      "five", "six", "seven", "eight", "nine"};

// Transcribers without punctuation drop the apostrophe; the LM spells these with it.
std::string_view withApostrophe(std::string_view w) {
    static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
        {"dont", "don't"},   {"im", "i'm"},         {"cant", "can't"},     {"wont", "won't"},
        {"didnt", "didn't"}, {"doesnt", "doesn't"}, {"isnt", "isn't"},     {"thats", "that's"},
        {"whats", "what's"}, {"ive", "i've"},       {"youre", "you're"},   {"theyre", "they're"},
        {"wasnt", "wasn't"}, {"arent", "aren't"},   {"couldnt", "couldn't"}, {"lets", "let's"},
        {"wouldnt", "wouldn't"}, {"shouldnt", "shouldn't"}, {"havent", "haven't"},
        {"theres", "there's"}, {"heres", "here's"}, {"hes", "he's"}, {"shes", "she's"},
        {"youll", "you'll"}, {"youve", "you've"}, {"weve", "we've"}, {"itll", "it'll"},
    };
    for (auto& [from, to] : kMap) {
        if (w == from) return to;
    }
    return w;
}

bool wordByte(unsigned char c) { return std::isalnum(c) || c == '\'' || c >= 0x80; }

// One raw token (a run of word bytes) into LM words, appended to out.
void expandToken(std::string_view tok, std::vector<std::string>& out) {
    while (!tok.empty() && tok.front() == '\'') tok.remove_prefix(1);
    while (!tok.empty() && tok.back() == '\'') tok.remove_suffix(1);
    if (tok.empty()) return;
    if (tok.size() > kMaxWordBytes) {
        out.emplace_back("<unk>");
        return;
    }
    std::string word;
    auto flush = [&] {
        if (word.empty()) return;
        out.emplace_back(withApostrophe(word));
        word.clear();
    };
    for (unsigned char c : tok) {
        if (c >= '0' && c <= '9') {
            flush();
            out.emplace_back(kDigits[c - '0']);
        } else {
            word.push_back(char(c < 0x80 ? std::tolower(c) : c));
        }
    }
    flush();
}

}  // namespace

std::vector<std::string> lastWords(std::string_view text, size_t n, bool* atStart) {
    // Walk back over whole tokens until n words are found; a token never yields more than
    // kMaxWordBytes words, so this reads a bounded tail of the text.
    std::vector<std::string> words;
    size_t end = text.size();
    bool start = false;
    while (words.size() < n) {
        while (end > 0 && !wordByte(static_cast<unsigned char>(text[end - 1]))) --end;
        if (end == 0) {
            start = true;
            break;
        }
        size_t begin = end;
        while (begin > 0 && wordByte(static_cast<unsigned char>(text[begin - 1]))) --begin;
        std::vector<std::string> tokWords;
        expandToken(text.substr(begin, end - begin), tokWords);
        words.insert(words.begin(), tokWords.begin(), tokWords.end());
        end = begin;
    }
    if (words.size() > n) {
        words.erase(words.begin(), words.end() - long(n));
    } else if (!start && words.size() == n) {
        // Exactly n words: the turn starts here when nothing but separators is left.
        while (end > 0 && !wordByte(static_cast<unsigned char>(text[end - 1]))) --end;
        start = end == 0;
    }
    if (atStart) *atStart = start;
    return words;
}

bool isTrailingWord(std::string_view w) {
    static constexpr std::string_view kWords[] = {
        "and",  "but",   "or",   "because", "so",    "to",    "for",  "the",  "a",     "an",
        "my",   "of",    "in",   "at",      "on",    "with",  "is",   "are",  "was",   "were",
        "i",    "i'm",   "it's", "if",      "that",  "about", "from", "by",   "your",  "our",
        "this", "would", "want", "need",    "can",   "could", "like", "um",   "uh",    "then",
        "than", "when",  "which", "who",    "what",  "where", "how",  "be",   "have",  "has",
        "will", "just",  "their", "his",    "her",   "its",   "into"};
    for (auto k : kWords) {
        if (w == k) return true;
    }
    return false;
}

namespace {

bool isDigitWord(std::string_view w) {
    for (auto d : kDigits) {
        if (w == d) return true;
    }
    return w == "oh";
}

// Words that start an object: their total probability after "to <verb>" tells a verb that
// waits for one ("to book" -> "a", "the", "my") from one that does not ("to go").
constexpr std::array<const char*, 12> kObjectStarts = {
    "a", "an", "the", "my", "your", "it", "this", "that", "some", "me", "our", "them"};

// Logistic calibration, fitted on the training part of tests/unit/pipeline/data/turns.tsv
// (each line but every third) by scripts/calibrate-completion.py. On the held-out third:
// 84.3 % (59/70); the LM's end probability alone 78.6 %, the trailing-word list alone 72.9 %.
// Cross-validation within the training part puts the feature sets tried within two turns of
// each other (86-88 %); the "to <verb>" pair is kept because without it "i would like to
// book" reads as complete (the LM backs off to "book </s>", the noun).
constexpr double kBias = -6.0596;
constexpr double kEnd = -4.7722;      // x log10 P(</s> | last two words)
constexpr double kTrailing = 1.7360;  // the last word is a typical cut-off word
constexpr double kDigitsMid = 1.6097; // 2-3 spoken digits at the end
constexpr double kAfterTo = 1.5781;   // "... to <verb>"
constexpr double kObject = 1.7117;    // x (log10 P(object start | h) - endLogProb) after "to"

}  // namespace

struct LmCompletionModel::Lm {
    ngram_model_t* model = nullptr;
    logmath_t* lmath = nullptr;  // ngram_model_free leaves it to us (ngram_model.c)
    int32_t end = -1;            // </s>
    int32_t start = -1;          // <s>
    std::array<int32_t, kObjectStarts.size()> objectStarts{};
    // Scoring with a full trigram history updates a one-entry backoff cache inside the LM
    // (lm_trie.c: hist_cache, backoff_cache), so scores are computed under this lock. It is
    // held for a few microseconds; callers never wait on I/O.
    mutable std::mutex scoring;

    ~Lm() {
        if (model) ngram_model_free(model);
        if (lmath) logmath_free(lmath);
    }
};

LmCompletionModel::LmCompletionModel() : lm_(std::make_unique<Lm>()) {}
LmCompletionModel::~LmCompletionModel() = default;

std::shared_ptr<const LmCompletionModel> load(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return nullptr;
    err_set_logfp(nullptr);  // sphinxbase's own INFO lines; as the local transcriber does
    std::shared_ptr<LmCompletionModel> m(new LmCompletionModel());
    m->lm_->lmath = logmath_init(1.0001, 0, 0);
    if (!m->lm_->lmath) return nullptr;
    m->lm_->model = ngram_model_read(nullptr, path.c_str(), NGRAM_AUTO, m->lm_->lmath);
    if (!m->lm_->model) return nullptr;
    m->lm_->end = ngram_wid(m->lm_->model, "</s>");
    m->lm_->start = ngram_wid(m->lm_->model, "<s>");
    if (m->lm_->end == NGRAM_INVALID_WID) return nullptr;
    for (size_t i = 0; i < kObjectStarts.size(); ++i) {
        m->lm_->objectStarts[i] = ngram_wid(m->lm_->model, kObjectStarts[i]);
    }
    return m;
}

Features LmCompletionModel::features(std::string_view text) const {
    Features f;
    bool atStart = false;
    auto words = lastWords(text, 4, &atStart);
    f.words = int(words.size());
    if (words.empty()) return f;
    f.trailingWord = isTrailingWord(words.back());
    size_t digits = 0;
    while (digits < words.size() && isDigitWord(words[words.size() - 1 - digits])) ++digits;
    f.shortDigits = digits == 2 || digits == 3;
    f.afterTo = words.size() >= 2 && words[words.size() - 2] == "to" && !f.trailingWord;
    // "can you tell me", "could you show us": the LM sees "tell me </s>" often enough (as in
    // "tell me.") to call it finished, but a caller who stops there is looking for the rest.
    if (words.size() >= 2) {
        static constexpr std::string_view kVerbs[] = {"tell", "show", "give", "send", "remind", "teach", "bring", "let"};
        static constexpr std::string_view kPronouns[] = {"me", "us", "him", "her", "them"};
        const std::string& v = words[words.size() - 2];
        const std::string& o = words.back();
        f.needsObject = std::find(std::begin(kVerbs), std::end(kVerbs), v) != std::end(kVerbs) &&
                        std::find(std::begin(kPronouns), std::end(kPronouns), o) != std::end(kPronouns);
    }
    if (words.size() > 2) {
        words.erase(words.begin(), words.end() - 2);
        atStart = false;
    }
    // History newest first, as sphinxbase takes it; an unknown word ends the history
    // (sphinxbase stops at the first negative id), which backs off to shorter n-grams.
    int32_t hist[2] = {NGRAM_INVALID_WID, NGRAM_INVALID_WID};
    ngram_model_t* lm = lm_->model;
    for (size_t i = 0; i < words.size(); ++i) {
        hist[i] = ngram_wid(lm, words[words.size() - 1 - i].c_str());
    }
    if (words.size() == 1) hist[1] = atStart ? lm_->start : NGRAM_INVALID_WID;
    f.unknownLast = hist[0] == NGRAM_INVALID_WID;
    if (hist[0] == NGRAM_INVALID_WID) hist[1] = NGRAM_INVALID_WID;
    int32_t nHist = hist[0] == NGRAM_INVALID_WID ? 0 : hist[1] == NGRAM_INVALID_WID ? 1 : 2;

    int32_t endScore = 0, used = 0;
    std::array<int32_t, kObjectStarts.size()> objectScores{};
    {
        std::lock_guard lk(lm_->scoring);
        endScore = ngram_ng_prob(lm, lm_->end, hist, nHist, &used);  // unweighted
        for (size_t i = 0; f.afterTo && i < objectScores.size(); ++i) {
            int32_t u = 0;
            objectScores[i] = lm_->objectStarts[i] == NGRAM_INVALID_WID
                                  ? ngram_zero(lm)
                                  : ngram_ng_prob(lm, lm_->objectStarts[i], hist, nHist, &u);
        }
    }
    f.endLogProb = logmath_log_to_log10(lm_->lmath, endScore);
    if (f.afterTo) {
        double object = 0;
        for (int32_t score : objectScores) {
            object += std::pow(10.0, logmath_log_to_log10(lm_->lmath, score));
        }
        f.objectLogProb = std::log10(std::max(object, 1e-9));
    }
    f.order = used;
    return f;
}

double LmCompletionModel::calibrated(const Features& f) {
    if (f.words == 0) return 0.5;  // nothing said: no evidence either way
    double z = kBias + kEnd * f.endLogProb;
    if (f.trailingWord) z += kTrailing;
    if (f.shortDigits) z += kDigitsMid;
    if (f.afterTo) z += kAfterTo + kObject * (f.objectLogProb - f.endLogProb);
    double p = 1.0 / (1.0 + std::exp(-z));
    // Not a fitted feature (too rare in the labelled set to fit): a floor.
    return f.needsObject ? std::max(p, 0.9) : p;
}

double LmCompletionModel::probIncomplete(std::string_view words) const {
    try {
        return calibrated(features(words));
    } catch (...) {  // bad_alloc from a word: no evidence
        return 0.5;
    }
}

}  // namespace completion

// --- The process-wide model ---------------------------------------------------------------

namespace {

struct Global {
    std::atomic<bool> started{false};
    // Set once by the loader, never freed (readers copy the shared_ptr without a lock).
    std::atomic<const std::shared_ptr<const CompletionModel>*> model{nullptr};
};

Global& global() {
    static Global* g = new Global();  // outlives the detached loader at exit
    return *g;
}

}  // namespace

void preloadCompletionModel() {
    Global& g = global();
    if (g.started.exchange(true)) return;
    // The thread holds its own reference to the logger: a process that exits while the LM
    // is still loading may have torn down spdlog's registry by the time it logs.
    std::thread([&g, log = spdlog::default_logger()] {
        auto t0 = std::chrono::steady_clock::now();
        std::shared_ptr<const completion::LmCompletionModel> m;
        try {
            m = completion::load(completion::kDefaultLmPath);
        } catch (const std::exception& e) {
            log->warn("completion model: {}", e.what());
        }
        if (!m) {
            log->warn("completion model: {} is missing or unreadable; smart endpointing "
                         "falls back to the pause alone",
                         completion::kDefaultLmPath);
            return;
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        log->info("completion model: loaded {} in {} ms", completion::kDefaultLmPath, ms);
        g.model.store(new std::shared_ptr<const CompletionModel>(std::move(m)),
                      std::memory_order_release);
    }).detach();
}

std::shared_ptr<const CompletionModel> completionModel() {
    auto* p = global().model.load(std::memory_order_acquire);
    return p ? *p : nullptr;
}

std::shared_ptr<const CompletionModel> awaitCompletionModel(std::chrono::milliseconds timeout) {
    preloadCompletionModel();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto m = completionModel()) return m;
        if (std::chrono::steady_clock::now() >= deadline) return nullptr;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace voxa::pipeline

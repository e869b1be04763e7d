#include "providers/local/vocabulary.h"

#include <sphinxbase/ngram_model.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "providers/local/scripted_llm.h"

namespace voxa::providers::local {

namespace {

namespace json = boost::json;

bool worthFavouring(const std::string& w) {
    // Words so common that the generic model already expects them everywhere; favouring
    // them only makes the recognizer hear them in every pause.
    static const std::set<std::string, std::less<>> kCommon{
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "is", "it", "i", "you", "my", "me",
        "for", "be", "do", "that", "this", "we", "your", "with", "can", "are", "was", "he", "she"};
    return w.size() > 1 && !kCommon.count(w);
}

}  // namespace

std::vector<Bias> biasFrom(const json::object& transcriber, const std::vector<std::string>& phrases) {
    std::map<std::string, float> boost;  // ordered: the same words give the same key
    auto add = [&](const std::string& w, float b) {
        if (!worthFavouring(w) || w.size() > 40) return;
        if (boost.size() >= kMaxBiasWords && !boost.count(w)) return;
        auto& cur = boost[w];
        cur = std::max(cur, b);
    };
    if (auto* v = transcriber.if_contains("keywords"); v && v->is_array()) {
        for (auto& e : v->get_array()) {
            if (!e.is_string()) continue;
            std::string_view s = e.get_string();
            float mult = 1;
            if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
                char* end = nullptr;
                std::string num(s.substr(colon + 1));
                double n = std::strtod(num.c_str(), &end);
                if (end && *end == 0 && n > 0) mult = float(std::min(n, 10.0));
                s = s.substr(0, colon);
            }
            for (auto& w : scriptedWords(s)) add(w, kBiasBoost * mult);
        }
    }
    if (auto* v = transcriber.if_contains("keyterm"); v && v->is_array())
        for (auto& e : v->get_array())
            if (e.is_string())
                for (auto& w : scriptedWords(e.get_string())) add(w, kBiasBoost);
    for (auto& p : phrases)
        for (auto& w : scriptedWords(p)) add(w, kBiasBoost);
    std::vector<Bias> out;
    for (auto& [w, b] : boost) out.push_back({w, b});
    return out;
}

std::string biasKey(const std::vector<Bias>& bias) {
    if (bias.empty()) return "";
    std::string all;
    for (auto& b : bias) all += b.word + ":" + std::to_string(b.boost) + " ";
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(all));
    return std::string("bias-") + hex + "-" + std::to_string(bias.size());
}

namespace {

/// A unigram ARPA model of `bias` (probabilities in proportion to the boosts) in a temporary
/// file; "" on failure.
std::string writeUnigrams(const std::vector<Bias>& bias) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/voxa-vocab-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return "";
    FILE* f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path.c_str());
        return "";
    }
    // </s> gets a word's share, so a favoured word can end the utterance.
    double total = 1;
    for (auto& b : bias) total += b.boost / kBiasBoost;
    std::fprintf(f, "\\data\\\nngram 1=%zu\n\n\\1-grams:\n-99 <s> 0\n%.4f </s> 0\n", bias.size() + 2, std::log10(1 / total));
    for (auto& b : bias) std::fprintf(f, "%.4f %s 0\n", std::log10(b.boost / kBiasBoost / total), b.word.c_str());
    std::fprintf(f, "\n\\end\\\n");
    if (std::fclose(f) != 0) {
        unlink(path.c_str());
        return "";
    }
    return path;
}

}  // namespace

bool favour(ps_decoder_t* ps, const std::vector<Bias>& bias, float weight, std::vector<std::string>& missing,
            std::string& err) {
    if (!(weight > 0 && weight < 1)) {
        err = "the vocabulary's weight must be between 0 and 1";
        return false;
    }
    const char* search = ps_get_search(ps);
    ngram_model_t* generic = search ? ps_get_lm(ps, search) : nullptr;
    if (!generic) {
        err = "the decoder's search has no language model";
        return false;
    }
    // Only words the dictionary has: nothing is added to it or to the generic model
    // (sphinxbase 5prealpha reads out of bounds scoring after a word added at run time).
    std::vector<Bias> known;
    for (auto& b : bias) {
        if (char* pron = ps_lookup_word(ps, b.word.c_str())) {
            std::free(pron);
            known.push_back(b);
        } else {
            missing.push_back(b.word);
        }
    }
    if (known.empty()) return true;
    std::string path = writeUnigrams(known);
    if (path.empty()) {
        err = "cannot write the vocabulary model to a temporary file";
        return false;
    }
    cmd_ln_t* cfg = ps_get_config(ps);
    ngram_model_t* mine = ngram_model_read(cfg, path.c_str(), NGRAM_ARPA, ps_get_logmath(ps));
    unlink(path.c_str());
    if (!mine) {
        err = "cannot read the vocabulary model back";
        return false;
    }
    // The set retains both models and the new search retains the set (reference counts of
    // sphinxbase 5prealpha); the generic search stays, unused.
    ngram_model_t* models[] = {generic, mine};
    const char* names[] = {"generic", "vocabulary"};
    float32 weights[] = {1.0f - weight, weight};
    ngram_model_t* set = ngram_model_set_init(cfg, models, const_cast<char**>(names), weights, 2);
    ngram_model_free(mine);
    if (!set) {
        err = "cannot interpolate the vocabulary with the generic model";
        return false;
    }
    int rc = ps_set_lm(ps, "vocabulary", set);
    ngram_model_free(set);
    if (rc < 0 || ps_set_search(ps, "vocabulary") < 0) {
        err = "pocketsphinx refused the interpolated model";
        return false;
    }
    return true;
}


}  // namespace voxa::providers::local

// stt_bench MANIFEST [--variants a,b,...] [--sets s,...] [--conditions c,...] [tuning]
// Word error rate and real-time factor of the embedded recognizer over the set made by
// bench/stt/make-set.sh, for each way of feeding it:
//   today     ps_process_raw on the 16 kHz pipeline audio (what Voxa did before narrowband
//             compensation: upsampled phone audio goes straight in)
//   fe        the narrowband front end with no fill (must equal `today`: checks the front end)
//   floor     constant power in the empty bands (the feature-domain white-noise fill)
//   relative  per-frame fill shaped by the model's mean spectrum (the default on 8 kHz lines)
// Each variant is applied to the 8 kHz conditions only; 16 kHz audio is always fed as `today`
// (that is what the provider does). 8 kHz files are upsampled with Voxa's resampler, as the
// transports do. One decoder per variant, its cepstral mean reset per utterance (a caller's
// first utterance: the hardest case). Prints a markdown table.
// --carry-cmn: one caller per set (the cepstral mean carries over, as within a call).
// --max N: the first N utterances of each set and condition.
// --bias-dir DIR: the rules sets' lines are decoded with their template's words favoured
//   (DIR/vocab-TEMPLATE.txt, one rule keyword a line), as a scripted assistant's calls are;
//   --bias-weight W (default kBiasWeight) their weight against the generic model.
// Tuning: --cutoff HZ --floor LOG --offset LOG (see providers/local/narrowband.h).
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "providers/local/narrowband.h"
#include "providers/local/scripted_llm.h"
#include "providers/local/vocabulary.h"

using namespace voxa;
using providers::local::NarrowbandFill;
using providers::local::NarrowbandFrontEnd;
using providers::local::NarrowbandTuning;

namespace {

struct Item {
    std::string set, condition, id, path, ref;
    std::string trigger, tmpl;  // rules sets: the keyword(s) the line must trigger, its template
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string t;
    while (std::getline(ss, t, sep))
        if (!t.empty()) out.push_back(t);
    return out;
}

std::vector<std::string> words(const std::string& s) {
    std::string t;
    for (char c : s) t += (std::isalnum(static_cast<unsigned char>(c)) || c == '\'') ? char(std::tolower(c)) : ' ';
    return split(t, ' ');
}

/// Word-level Levenshtein distance.
int edits(const std::vector<std::string>& r, const std::vector<std::string>& h) {
    std::vector<int> prev(h.size() + 1), cur(h.size() + 1);
    for (size_t j = 0; j <= h.size(); ++j) prev[j] = int(j);
    for (size_t i = 1; i <= r.size(); ++i) {
        cur[0] = int(i);
        for (size_t j = 1; j <= h.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[h.size()];
}

ps_decoder_t* makeDecoder() {
    err_set_logfp(nullptr);
    const std::string dir = "/usr/share/pocketsphinx/model/en-us";
    std::string hmm = dir + "/en-us", lm = dir + "/en-us.lm.bin", dict = dir + "/cmudict-en-us.dict";
    const char* argv[] = {"-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict", dict.c_str(), "-samprate", "16000"};
    cmd_ln_t* cfg = cmd_ln_parse_r(nullptr, ps_args(), 8, const_cast<char**>(argv), TRUE);
    ps_decoder_t* ps = ps_init(cfg);
    cmd_ln_free_r(cfg);
    return ps;
}

/// Does `heard` contain the trigger: "a|b" any of them, "a+b" all of them, each matched as
/// the scripted model matches a rule keyword (scripted_llm.h).
bool triggered(const std::string& heard, const std::string& trigger) {
    auto words = providers::local::scriptedWords(heard);
    for (auto& any : split(trigger, '|')) {
        bool all = true;
        for (auto& part : split(any, '+'))
            all = all && providers::local::containsScriptedPhrase(words, providers::local::scriptedWords(part));
        if (all) return true;
    }
    return false;
}

struct Tally {
    int utts = 0, words = 0, errors = 0;
    int triggers = 0, triggerHits = 0;
    double audioSec = 0, cpuSec = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: stt_bench MANIFEST [--variants today,relative] [--sets ..] [--conditions ..]\n");
        return 2;
    }
    std::vector<std::string> variants = {"today", "floor", "relative"};
    std::set<std::string> sets, conditions;
    NarrowbandTuning tuning;
    bool verbose = false;
    int maxPerSet = 1 << 30;  // utterances per (set, condition)
    bool carryCmn = false;    // keep the cepstral mean across a set's utterances, as a call does
    float biasWeight = providers::local::kBiasWeight;
    std::string biasDir;        // rules sets: DIR/vocab-TEMPLATE.txt favoured (vocabulary.h)
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--variants") variants = split(next(), ',');
        else if (a == "--sets") for (auto& s : split(next(), ',')) sets.insert(s);
        else if (a == "--conditions") for (auto& s : split(next(), ',')) conditions.insert(s);
        else if (a == "--cutoff") tuning.cutoffHz = std::stod(next());
        else if (a == "--floor") tuning.floorLog = std::stod(next());
        else if (a == "--offset") tuning.offsetLog = std::stod(next());
        else if (a == "--max") maxPerSet = std::stoi(next());
        else if (a == "--carry-cmn") carryCmn = true;
        else if (a == "--bias-weight") biasWeight = std::stof(next());
        else if (a == "--bias-dir") biasDir = next();
        else if (a == "-v") verbose = true;
    }
    std::vector<Item> items;
    std::map<std::string, int> perSet;
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
        auto f = split(line, '\t');
        if (f.size() < 5) continue;
        Item it{f[0], f[1], f[2], f[3], f[4], f.size() > 5 ? f[5] : "", f.size() > 6 ? f[6] : ""};
        if ((sets.empty() || sets.count(it.set)) && (conditions.empty() || conditions.count(it.condition)) &&
            perSet[it.set + "/" + it.condition]++ < maxPerSet)
            items.push_back(it);
    }

    // One decoder per vocabulary: the generic one, and one per template with --bias-dir.
    struct Dec {
        ps_decoder_t* ps = nullptr;
        std::vector<mfcc_t> cmnInit;
        std::map<std::string, std::unique_ptr<NarrowbandFrontEnd>> fe;  // per variant
    };
    std::map<std::string, Dec> decoders;
    auto decoderFor = [&](const std::string& tmpl) -> Dec* {
        auto& d = decoders[tmpl];
        if (d.ps) return &d;
        d.ps = makeDecoder();
        if (!d.ps) return nullptr;
        if (!tmpl.empty()) {
            std::vector<std::string> phrases;
            std::ifstream vf(biasDir + "/vocab-" + tmpl + ".txt");
            for (std::string l; std::getline(vf, l);)
                if (!l.empty()) phrases.push_back(l);
            std::vector<std::string> missing;
            std::string err;
            auto bias = providers::local::biasFrom({}, phrases);
            if (!providers::local::favour(d.ps, bias, biasWeight, missing, err))
                std::fprintf(stderr, "bias: %s\n", err.c_str());
            for (auto& m : missing) std::fprintf(stderr, "bias %s: \"%s\" not in the dictionary\n", tmpl.c_str(), m.c_str());
        }
        feat_t* f = ps_get_feat(d.ps);
        d.cmnInit.resize(size_t(f->cmn_struct->veclen));
        cmn_live_get(f->cmn_struct, d.cmnInit.data());
        return &d;
    };

    // (set, condition) in manifest order, then variant.
    std::vector<std::pair<std::string, std::string>> order;
    std::map<std::tuple<std::string, std::string, std::string>, Tally> tally;
    for (auto& v : variants) {
        NarrowbandFill fill = NarrowbandFill::None;
        bool raw = v == "today";
        if (!raw && v != "fe" && !providers::local::parseNarrowbandFill(v, fill)) {
            std::fprintf(stderr, "unknown variant %s\n", v.c_str());
            return 2;
        }
        std::string lastGroup;
        for (auto& it : items) {
            Dec* d = decoderFor(biasDir.empty() ? "" : it.tmpl);
            if (!d) return 1;
            ps_decoder_t* ps = d->ps;
            auto& nbp = d->fe[v];
            if (!nbp) nbp = std::make_unique<NarrowbandFrontEnd>(ps, fill, tuning);
            if (!nbp->ok()) {
                std::fprintf(stderr, "narrowband front end failed\n");
                return 1;
            }
            auto& nb = *nbp;
            bool narrow = it.condition != "16k";
            if (!narrow && v != variants.front() && v != "fe") continue;  // 16k: `today` once
            audio::Samples pcm;
            if (narrow) {
                auto pcm8 = audio::readWav(it.path, 8000);
                audio::Resampler up(8000, audio::kRate);
                up.process(pcm8, pcm);
            } else {
                pcm = audio::readWav(it.path);
            }
            audio::Samples padded(audio::kRate * 3 / 10, 0);
            padded.insert(padded.end(), pcm.begin(), pcm.end());
            padded.resize(padded.size() + audio::kRate * 3 / 10, 0);

            std::string group = it.set + "/" + it.condition + "/" + v;
            if (!carryCmn || group != lastGroup) cmn_live_set(ps_get_feat(ps)->cmn_struct, d->cmnInit.data());
            lastGroup = group;
            auto t0 = std::chrono::steady_clock::now();
            bool useFe = narrow ? !raw : v == "fe";
            ps_start_utt(ps);
            if (useFe) nb.startUtt();
            for (size_t i = 0; i < padded.size(); i += audio::kFrameSamples) {
                size_t n = std::min<size_t>(audio::kFrameSamples, padded.size() - i);
                if (useFe) nb.process({padded.data() + i, n});
                else ps_process_raw(ps, padded.data() + i, n, FALSE, FALSE);
            }
            if (useFe) nb.endUtt();
            ps_end_utt(ps);
            const char* hyp = ps_get_hyp(ps, nullptr);
            double cpu = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::string h = hyp ? hyp : "";
            auto r = words(it.ref);
            int e = edits(r, words(h));
            std::string variant = narrow ? v : (v == "fe" ? "fe" : "today");
            auto key = std::make_tuple(it.set, it.condition, variant);
            if (!tally.count(key) &&
                std::find(order.begin(), order.end(), std::make_pair(it.set, it.condition)) == order.end())
                order.emplace_back(it.set, it.condition);
            auto& t = tally[key];
            t.utts++;
            t.words += int(r.size());
            t.errors += e;
            t.audioSec += double(pcm.size()) / audio::kRate;
            t.cpuSec += cpu;
            if (!it.trigger.empty()) {
                t.triggers++;
                t.triggerHits += triggered(h, it.trigger) ? 1 : 0;
            }
            if (verbose) std::fprintf(stderr, "%s %s %s %s: \"%s\" (%d/%zu)\n", variant.c_str(), it.set.c_str(),
                                      it.condition.c_str(), it.id.c_str(), h.c_str(), e, r.size());
        }
    }
    std::printf("| set | audio | feed | utts | words | WER | RTF | triggers heard |\n|---|---|---|---|---|---|---|---|\n");
    for (auto& [set, cond] : order)
        for (auto& v : std::vector<std::string>{"today", "fe", "floor", "relative"}) {
            auto k = std::make_tuple(set, cond, v);
            if (!tally.count(k)) continue;
            auto& t = tally[k];
            std::string trig = t.triggers ? std::to_string(t.triggerHits) + "/" + std::to_string(t.triggers) + " (" +
                                                std::to_string(int(100.0 * t.triggerHits / t.triggers + 0.5)) + " %)"
                                          : "";
            std::printf("| %s | %s | %s | %d | %d | %.1f %% | %.2f | %s |\n", set.c_str(), cond.c_str(), v.c_str(), t.utts,
                        t.words, 100.0 * t.errors / std::max(1, t.words), t.cpuSec / std::max(1e-9, t.audioSec),
                        trig.c_str());
        }
    for (auto& [k, d] : decoders) {
        d.fe.clear();
        if (d.ps) ps_free(d.ps);
    }
    return 0;
}

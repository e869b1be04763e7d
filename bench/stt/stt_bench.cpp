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
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "providers/local/narrowband.h"

using namespace voxa;
using providers::local::NarrowbandFill;
using providers::local::NarrowbandFrontEnd;
using providers::local::NarrowbandTuning;

namespace {

struct Item {
    std::string set, condition, id, path, ref;
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

struct Tally {
    int utts = 0, words = 0, errors = 0;
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
        else if (a == "-v") verbose = true;
    }
    std::vector<Item> items;
    std::map<std::string, int> perSet;
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
        auto f = split(line, '\t');
        if (f.size() < 5) continue;
        Item it{f[0], f[1], f[2], f[3], f[4]};
        if ((sets.empty() || sets.count(it.set)) && (conditions.empty() || conditions.count(it.condition)) &&
            perSet[it.set + "/" + it.condition]++ < maxPerSet)
            items.push_back(it);
    }

    ps_decoder_t* ps = makeDecoder();
    if (!ps) return 1;
    std::vector<mfcc_t> cmnInit;
    {
        feat_t* f = ps_get_feat(ps);
        cmnInit.resize(size_t(f->cmn_struct->veclen));
        cmn_live_get(f->cmn_struct, cmnInit.data());
    }

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
        NarrowbandFrontEnd nb(ps, fill, tuning);
        std::string lastGroup;
        if (!nb.ok()) {
            std::fprintf(stderr, "narrowband front end failed\n");
            return 1;
        }
        for (auto& it : items) {
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
            if (!carryCmn || group != lastGroup) cmn_live_set(ps_get_feat(ps)->cmn_struct, cmnInit.data());
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
            if (verbose) std::fprintf(stderr, "%s %s %s %s: \"%s\" (%d/%zu)\n", variant.c_str(), it.set.c_str(),
                                      it.condition.c_str(), it.id.c_str(), h.c_str(), e, r.size());
        }
    }
    std::printf("| set | audio | feed | utts | words | WER | RTF |\n|---|---|---|---|---|---|---|\n");
    for (auto& [set, cond] : order)
        for (auto& v : std::vector<std::string>{"today", "fe", "floor", "relative"}) {
            auto k = std::make_tuple(set, cond, v);
            if (!tally.count(k)) continue;
            auto& t = tally[k];
            std::printf("| %s | %s | %s | %d | %d | %.1f %% | %.2f |\n", set.c_str(), cond.c_str(), v.c_str(), t.utts,
                        t.words, 100.0 * t.errors / std::max(1, t.words), t.cpuSec / std::max(1e-9, t.audioSec));
        }
    ps_free(ps);
    return 0;
}

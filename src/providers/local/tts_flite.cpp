#include "providers/local/tts_flite.h"

extern "C" {
#include <flite/flite.h>
}

#include <algorithm>
#include <span>
#include <vector>
#include <map>
#include <mutex>

// No header ships for the voices. Each register_* returns the voice its library caches in
// the global below, creating it when the global is null.
extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
extern cst_voice* cmu_us_slt_cg;
extern cst_voice* cmu_us_kal16_diphone;
extern cst_voice* cmu_us_rms_cg;
extern cst_voice* cmu_us_awb_cg;
}

namespace voxa::providers::local {

namespace json = boost::json;

namespace {

constexpr int kStreamChunk = 800;  // samples per streaming callback: 50 ms at 16 kHz

struct VoiceDef {
    const char* name;
    cst_voice* (*reg)(const char*);
    cst_voice** cached;
};

const VoiceDef kVoices[] = {
    {"slt", register_cmu_us_slt, &cmu_us_slt_cg},
    {"kal16", register_cmu_us_kal16, &cmu_us_kal16_diphone},
    {"rms", register_cmu_us_rms, &cmu_us_rms_cg},
    {"awb", register_cmu_us_awb, &cmu_us_awb_cg},
};

/// Each compute thread synthesizes with voice objects of its own (see the header), made on
/// its first use of that voice and deleted when the thread ends.
class ThreadVoices {
public:
    ~ThreadVoices() {
        for (auto& [name, v] : voices_) delete_voice(v);
    }
    cst_voice* get(const std::string& name) {
        if (auto it = voices_.find(name); it != voices_.end()) return it->second;
        const VoiceDef* def = nullptr;
        for (auto& d : kVoices)
            if (name == d.name) def = &d;
        if (!def) return nullptr;
        cst_voice* v = nullptr;
        {
            // Registration writes flite's globals (the voice cache, the lexicon's first
            // initialization): one thread at a time. Clearing the cache makes register_*
            // build a new voice; clearing it again keeps anyone else from sharing ours.
            static std::mutex mu;
            std::lock_guard lk(mu);
            static std::once_flag once;
            std::call_once(once, [] { flite_init(); });
            *def->cached = nullptr;
            v = def->reg(nullptr);
            *def->cached = nullptr;
        }
        if (v) voices_[name] = v;
        return v;
    }

private:
    std::map<std::string, cst_voice*> voices_;
};

cst_voice* fliteVoice(const std::string& name) {
    thread_local ThreadVoices voices;
    return voices.get(name);
}

// flite opens every utterance with a pause segment: ~220 ms of near-silence (RMS < 50)
// before the first sound. Sent as is, it is latency the caller hears as nothing; it is
// dropped down to kLeadKeepMs before the first sample at or above kOnsetLevel (-38 dBFS):
// the attack of the first sound (from -55 dBFS to that level) takes 1-40 ms in the four
// voices, 61 ms for awb's "five"; more is latency (100 ms kept before: the reply's first
// sound 40 ms later).
constexpr int kOnsetLevel = 400;
constexpr int kLeadKeepMs = 60;

struct StreamCtx {
    const PcmSink* sink;
    bool called = false;
    bool stopped = false;
    bool sounding = false;           // the first sound has been sent
    std::vector<int16_t> lead;       // samples before it (bounded: the last kLeadKeepMs)
    int rate = 0;

    bool send(std::span<const int16_t> pcm, int sampleRate) {
        if (!sounding) {
            rate = sampleRate;
            auto it = std::find_if(pcm.begin(), pcm.end(), [](int16_t v) { return v >= kOnsetLevel || v <= -kOnsetLevel; });
            lead.insert(lead.end(), pcm.begin(), it);
            size_t keep = size_t(sampleRate) * kLeadKeepMs / 1000;
            if (lead.size() > keep) lead.erase(lead.begin(), lead.end() - static_cast<std::ptrdiff_t>(keep));
            if (it == pcm.end()) return true;
            sounding = true;
            lead.insert(lead.end(), it, pcm.end());
            bool ok = (*sink)(std::span<const int16_t>(lead), sampleRate);
            lead = {};
            return ok;
        }
        return (*sink)(pcm, sampleRate);
    }
    /// An utterance that never rose above the onset level still gets its (short) audio.
    void finish() {
        if (!sounding && !lead.empty() && !stopped) (*sink)(std::span<const int16_t>(lead), rate);
    }
};

int onFliteAudio(const cst_wave* w, int start, int size, int last, cst_audio_streaming_info* asi) {
    auto* c = static_cast<StreamCtx*>(asi->userdata);
    c->called = true;
    if (size > 0 && !c->send({w->samples + start, size_t(size)}, w->sample_rate)) {
        c->stopped = true;
        return CST_AUDIO_STREAM_STOP;
    }
    return CST_AUDIO_STREAM_CONT;
}

std::string synthesize(cst_voice* voice, float stretch, const std::string& text,
                       const PcmSink& sink) {
    StreamCtx sc{&sink};
    cst_utterance* u = new_utterance();
    utt_set_input_text(u, text.c_str());
    utt_init(u, voice);
    // Per-utterance features shadow the voice's, so voices are never modified.
    cst_audio_streaming_info* asi = new_audio_streaming_info();  // owned by the feature
    asi->min_buffsize = kStreamChunk;
    asi->asc = onFliteAudio;
    asi->userdata = &sc;
    feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));
    if (stretch != 1.0f) {
        // Relative to the voice's own pace (kal16 ships with 1.1).
        float base = flite_get_param_float(voice->features, "duration_stretch", 1.0f);
        feat_set_float(u->features, "duration_stretch", base * stretch);
    }
    cst_utterance* done = utt_synth(u);
    std::string err;
    if (!done && !sc.stopped) {
        err = "flite could not synthesize the text";
    } else if (done && !sc.called) {
        // A voice without streaming support: hand over the whole wave at once.
        if (cst_wave* w = utt_wave(u); w && w->num_samples > 0)
            sc.send({w->samples, size_t(w->num_samples)}, w->sample_rate);
    }
    if (done) sc.finish();
    delete_utterance(u);
    return err;
}

std::string voiceName(const json::object& cfg) {
    auto* v = cfg.if_contains("voiceId");
    if (!v || v->is_null()) return "slt";
    if (!v->is_string()) return "";
    std::string name(v->get_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("cmu_us_", 0) == 0) name = name.substr(7);
    return name.empty() ? "slt" : name;
}

}  // namespace

double ttsSpeed(const json::object& cfg) {
    double speed = 1.0;
    if (auto* v = cfg.if_contains("speed"); v && v->is_number()) speed = v->to_number<double>();
    return std::clamp(speed, 0.5, 2.0);
}

SynthFn makeFliteSynth(const json::object& cfg, std::string& err) {
    auto name = voiceName(cfg);
    if (name != "slt" && name != "kal16" && name != "rms" && name != "awb") {
        auto* v = cfg.if_contains("voiceId");
        err = "unknown local voice " + (v ? json::serialize(*v) : std::string("?")) +
              " (flite voices: slt, kal16, rms, awb; or espeak:<language>)";
        return nullptr;
    }
    auto stretch = float(1.0 / ttsSpeed(cfg));
    // Voices are registered on a compute thread's first synthesis with them, not in open().
    return [name, stretch](const std::string& text, const PcmSink& sink) {
        cst_voice* voice = fliteVoice(name);
        if (!voice) return std::string("flite voice " + name + " failed to load");
        return synthesize(voice, stretch, text, sink);
    };
}

}  // namespace voxa::providers::local

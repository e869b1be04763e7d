#include "providers/local/tts_espeak.h"

#include <espeak-ng/speak_lib.h>

#include <cctype>
#include <mutex>

#include "providers/local/tts_flite.h"

namespace voxa::providers::local {

namespace json = boost::json;

namespace {

std::mutex& espeakMutex() {
    static std::mutex mu;
    return mu;
}

struct SynthCtx {
    const PcmSink* sink;
    int rate;
    bool stopped = false;
};

int onEspeakAudio(short* wav, int n, espeak_EVENT* events) {
    auto* c = static_cast<SynthCtx*>(events ? events->user_data : nullptr);
    if (!c || c->stopped) return 1;  // 1 = abort synthesis
    if (wav && n > 0 && !(*c->sink)({wav, size_t(n)}, c->rate)) c->stopped = true;
    return c->stopped ? 1 : 0;
}

/// Initializes espeak-ng once; returns its sample rate, or <= 0 if it failed.
int espeakRate() {
    static int rate = [] {
        std::lock_guard lk(espeakMutex());
        // Synchronous mode: espeak_Synth returns when done; 50 ms buffers per callback.
        int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 50, nullptr, 0);
        if (r > 0) espeak_SetSynthCallback(onEspeakAudio);
        return r;
    }();
    return rate;
}

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string configString(const json::object& cfg, const char* key) {
    auto* v = cfg.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// Selects `name`, falling back to its language part ("pt-BR" -> "pt-br" -> "pt").
/// Caller holds the espeak mutex.
bool selectVoice(const std::string& name) {
    if (espeak_SetVoiceByName(name.c_str()) == EE_OK) return true;
    auto dash = name.find_first_of("-_");
    return dash != std::string::npos &&
           espeak_SetVoiceByName(name.substr(0, dash).c_str()) == EE_OK;
}

}  // namespace

bool wantsEspeak(const json::object& cfg) {
    auto voice = lower(configString(cfg, "voiceId"));
    if (voice.rfind("espeak:", 0) == 0) return true;
    auto lang = lower(configString(cfg, "language"));
    return !lang.empty() && lang != "en" && lang.rfind("en-", 0) != 0;
}

SynthFn makeEspeakSynth(const json::object& cfg, std::string& err) {
    auto voice = lower(configString(cfg, "voiceId"));
    std::string name = voice.rfind("espeak:", 0) == 0 ? voice.substr(7)
                                                      : lower(configString(cfg, "language"));
    if (name.empty()) name = "en-us";
    int wpm = int(espeakRATE_NORMAL * ttsSpeed(cfg));
    // Initialization and voice loading happen on the compute pool (first sentence), never
    // in open(), which runs on the call's event loop; a bad voice fails each speak().
    return [name, wpm](const std::string& text, const PcmSink& sink) -> std::string {
        int rate = espeakRate();
        if (rate <= 0) return "espeak-ng failed to initialize (is espeak-ng-data installed?)";
        std::lock_guard lk(espeakMutex());
        // Voice and rate are global: set them for every sentence.
        if (!selectVoice(name)) return "unknown espeak-ng voice/language \"" + name + "\"";
        espeak_SetParameter(espeakRATE, wpm, 0);
        SynthCtx c{&sink, rate};
        auto r = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                              espeakCHARS_UTF8, nullptr, &c);
        if (r != EE_OK && !c.stopped) return "espeak-ng synthesis failed";
        return "";
    };
}

}  // namespace voxa::providers::local

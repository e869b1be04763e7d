// The part of ONNX Runtime's C API that SileroVad uses, declared by hand: the runtime comes
// as a bare libonnxruntime.so.1 from npm (onnxruntime-node), with no header, and it is
// loaded with dlopen at run time so that Voxa builds and runs without it.
//
// Pinned to ONNX Runtime 1.24 (ORT_API_VERSION 24, the library of onnxruntime-node 1.24.3).
// Read from include/onnxruntime/core/session/onnxruntime_c_api.h at ORT_API_VERSION 24:
// - OrtGetApiBase() returns an OrtApiBase, two function pointers: GetApi(version) and
//   GetVersionString().
// - GetApi(24) returns the OrtApi, a struct made only of function pointers whose order never
//   changes (new entries are appended at the end in later versions). Below, each entry used
//   here is named by its position in that struct (0 = CreateStatus) with its signature.
// Only private to src/audio/silero.cpp (and its tests); nothing else should call ORT.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace voxa::audio::ort {

inline constexpr uint32_t kApiVersion = 24;
/// GetVersionString() must start with this: the table positions below are those of 1.24.
inline constexpr const char* kVersionPrefix = "1.24.";

struct Env;
struct Status;  // nullptr means success
struct MemoryInfo;
struct Session;
struct Value;
struct SessionOptions;
struct RunOptions;
struct Allocator;

// Enumerators used here, with the header's values (plain ints across the C ABI).
enum LoggingLevel : int { kLogVerbose = 0, kLogInfo = 1, kLogWarning = 2, kLogError = 3, kLogFatal = 4 };
enum ElementType : int { kFloat = 1, kInt64 = 7 };  // ONNXTensorElementDataType
enum AllocatorType : int { kDeviceAllocator = 0, kArenaAllocator = 1 };
enum MemType : int { kMemTypeDefault = 0 };
enum GraphOptimizationLevel : int { kEnableAll = 99 };

struct ApiBase {
    const void* (*GetApi)(uint32_t version) noexcept;  // the OrtApi table, or nullptr
    const char* (*GetVersionString)() noexcept;        // e.g. "1.24.3"
};
using GetApiBaseFn = const ApiBase* (*)() noexcept;
inline constexpr const char* kGetApiBaseSymbol = "OrtGetApiBase";

/// Positions in the OrtApi table.
enum Slot : size_t {
    kGetErrorMessage = 2,
    kCreateEnv = 3,
    kCreateSession = 7,
    kRun = 9,
    kCreateSessionOptions = 10,
    kSetSessionGraphOptimizationLevel = 23,
    kSetIntraOpNumThreads = 24,
    kSetInterOpNumThreads = 25,
    kSessionGetInputCount = 30,
    kSessionGetOutputCount = 31,
    kSessionGetInputName = 36,
    kSessionGetOutputName = 37,
    kCreateTensorWithDataAsOrtValue = 49,
    kGetTensorMutableData = 51,
    kCreateCpuMemoryInfo = 69,
    kAllocatorFree = 76,
    kGetAllocatorWithDefaultOptions = 78,
    kReleaseEnv = 92,
    kReleaseStatus = 93,
    kReleaseMemoryInfo = 94,
    kReleaseSession = 95,
    kReleaseValue = 96,
    kReleaseSessionOptions = 100,
    kAddSessionConfigEntry = 130,
};

/// The entries above, typed. Api::from reads each one from the table at its slot.
struct Api {
    const char* (*GetErrorMessage)(const Status*) noexcept;
    Status* (*CreateEnv)(LoggingLevel, const char* logId, Env** out) noexcept;
    Status* (*CreateSession)(const Env*, const char* modelPath, const SessionOptions*,
                             Session** out) noexcept;
    Status* (*Run)(Session*, const RunOptions*, const char* const* inputNames,
                   const Value* const* inputs, size_t inputCount, const char* const* outputNames,
                   size_t outputCount, Value** outputs) noexcept;
    Status* (*CreateSessionOptions)(SessionOptions** out) noexcept;
    Status* (*SetSessionGraphOptimizationLevel)(SessionOptions*, GraphOptimizationLevel) noexcept;
    Status* (*SetIntraOpNumThreads)(SessionOptions*, int) noexcept;
    Status* (*SetInterOpNumThreads)(SessionOptions*, int) noexcept;
    Status* (*SessionGetInputCount)(const Session*, size_t* out) noexcept;
    Status* (*SessionGetOutputCount)(const Session*, size_t* out) noexcept;
    Status* (*SessionGetInputName)(const Session*, size_t index, Allocator*, char** out) noexcept;
    Status* (*SessionGetOutputName)(const Session*, size_t index, Allocator*, char** out) noexcept;
    Status* (*CreateTensorWithDataAsOrtValue)(const MemoryInfo*, void* data, size_t dataBytes,
                                              const int64_t* shape, size_t shapeLen, ElementType,
                                              Value** out) noexcept;
    Status* (*GetTensorMutableData)(Value*, void** out) noexcept;
    Status* (*CreateCpuMemoryInfo)(AllocatorType, MemType, MemoryInfo** out) noexcept;
    Status* (*AllocatorFree)(Allocator*, void*) noexcept;
    Status* (*GetAllocatorWithDefaultOptions)(Allocator** out) noexcept;
    void (*ReleaseEnv)(Env*) noexcept;
    void (*ReleaseStatus)(Status*) noexcept;
    void (*ReleaseMemoryInfo)(MemoryInfo*) noexcept;
    void (*ReleaseSession)(Session*) noexcept;
    void (*ReleaseValue)(Value*) noexcept;
    void (*ReleaseSessionOptions)(SessionOptions*) noexcept;
    Status* (*AddSessionConfigEntry)(SessionOptions*, const char* key, const char* value) noexcept;

    /// table: what GetApi(kApiVersion) returned (an array of function pointers).
    static Api from(const void* table) {
        using Entry = void (*)();
        auto* t = static_cast<const Entry*>(table);
        Api a{};
        auto set = [t](auto& member, Slot s) {
            member = reinterpret_cast<std::remove_reference_t<decltype(member)>>(t[s]);
        };
        set(a.GetErrorMessage, kGetErrorMessage);
        set(a.CreateEnv, kCreateEnv);
        set(a.CreateSession, kCreateSession);
        set(a.Run, kRun);
        set(a.CreateSessionOptions, kCreateSessionOptions);
        set(a.SetSessionGraphOptimizationLevel, kSetSessionGraphOptimizationLevel);
        set(a.SetIntraOpNumThreads, kSetIntraOpNumThreads);
        set(a.SetInterOpNumThreads, kSetInterOpNumThreads);
        set(a.SessionGetInputCount, kSessionGetInputCount);
        set(a.SessionGetOutputCount, kSessionGetOutputCount);
        set(a.SessionGetInputName, kSessionGetInputName);
        set(a.SessionGetOutputName, kSessionGetOutputName);
        set(a.CreateTensorWithDataAsOrtValue, kCreateTensorWithDataAsOrtValue);
        set(a.GetTensorMutableData, kGetTensorMutableData);
        set(a.CreateCpuMemoryInfo, kCreateCpuMemoryInfo);
        set(a.AllocatorFree, kAllocatorFree);
        set(a.GetAllocatorWithDefaultOptions, kGetAllocatorWithDefaultOptions);
        set(a.ReleaseEnv, kReleaseEnv);
        set(a.ReleaseStatus, kReleaseStatus);
        set(a.ReleaseMemoryInfo, kReleaseMemoryInfo);
        set(a.ReleaseSession, kReleaseSession);
        set(a.ReleaseValue, kReleaseValue);
        set(a.ReleaseSessionOptions, kReleaseSessionOptions);
        set(a.AddSessionConfigEntry, kAddSessionConfigEntry);
        return a;
    }
};

}  // namespace voxa::audio::ort

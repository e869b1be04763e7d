// A cloud provider's session on a loop of its own, pointed at a local fake the way an
// operator would (`--provider-url NAME=URL`), with a key in the call's credentials and every
// callback recorded.
//
//   FakeDeepgram dg;
//   SttHarness s(*deepgram::makeSttProvider(), "deepgram", dg.url(), "dg-secret", cfg);
//   s.speak(600);
//   s.stt->finalize();
//   ASSERT_TRUE(s.runUntil([&] { return !s.transcripts.empty(); }));
//
//   TtsHarness t(*cartesia::makeTtsProvider(), "cartesia", fake.url(), "sk_car", cfg);
//   t.tts->speak(1, "One.");
//   ASSERT_TRUE(t.runUntil([&] { return t.done.size() == 1; }));
//   EXPECT_EQ(t.samplesOf(1), 4800u);
//
// An empty provider name sets no URL, key or egress rule (a provider reached through its
// config, such as custom-transcriber's server.url: the test decides whether loopback is open).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fakes/loopback_egress.h"
#include "providers/endpoints.h"
#include "providers/providers.h"

namespace voxa::providers::test {

struct ProviderLoop {
    std::optional<fakes::LoopbackEgress> egress;  // the fakes listen on 127.0.0.1
    boost::asio::io_context io;
    Context ctx;
    std::string provider;

    ProviderLoop(std::string name, const std::string& url, std::string key) : provider(std::move(name)) {
        ctx.executor = io.get_executor();
        ctx.callId = "call-1";
        if (provider.empty()) return;
        egress.emplace();
        setOperatorUrls(std::map<std::string, std::string>{{provider, url}});
        ctx.credentials[provider] = {.apiKey = std::move(key)};
    }
    ~ProviderLoop() {
        if (!provider.empty()) setOperatorUrls({});
    }

    /// Runs the loop until `p()` or `limit`; returns p().
    template <class Pred>
    bool runUntil(Pred p, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!p() && std::chrono::steady_clock::now() < end) {
            io.run_for(std::chrono::milliseconds(10));
            io.restart();
        }
        return p();
    }
    void runFor(std::chrono::milliseconds d) {
        runUntil([] { return false; }, d);
    }
};

struct SttHarness : ProviderLoop {
    std::vector<Transcript> transcripts;
    std::vector<ProviderError> errors;
    std::unique_ptr<SttSession> stt;

    SttHarness(SttProvider& p, std::string name, const std::string& url, std::string key,
               const boost::json::object& config)
        : ProviderLoop(std::move(name), url, std::move(key)) {
        stt = p.open(config, ctx,
                     {.onTranscript = [this](const Transcript& t) { transcripts.push_back(t); },
                      .onError = [this](const ProviderError& e) { errors.push_back(e); }});
    }
    ~SttHarness() {
        stt.reset();
        io.run_for(std::chrono::milliseconds(300));  // let the close reach the fake
    }

    /// `ms` of (loud, constant) audio in Voxa's 20 ms frames.
    void speak(int ms) {
        std::vector<int16_t> frame(320, 1000);
        for (int i = 0; i < ms / 20; ++i) stt->sendAudio(frame);
    }
    std::vector<Transcript> finals() const {
        std::vector<Transcript> out;
        for (auto& t : transcripts)
            if (t.isFinal) out.push_back(t);
        return out;
    }
};

struct TtsHarness : ProviderLoop {
    std::vector<std::pair<uint64_t, audio::Samples>> audio;
    std::vector<uint64_t> done;
    std::vector<ProviderError> failures;
    std::unique_ptr<TtsSession> tts;

    TtsHarness(TtsProvider& p, std::string name, const std::string& url, std::string key,
               const boost::json::object& config)
        : ProviderLoop(std::move(name), url, std::move(key)) {
        TtsCallbacks cb;
        cb.onAudio = [this](uint64_t id, audio::Samples pcm) { audio.emplace_back(id, std::move(pcm)); };
        cb.onDone = [this](uint64_t id) { done.push_back(id); };
        cb.onFailure = [this](const ProviderError& e) { failures.push_back(e); };
        tts = p.open(config, ctx, std::move(cb));
    }
    ~TtsHarness() {
        tts.reset();
        io.run_for(std::chrono::milliseconds(200));
    }

    size_t samplesOf(uint64_t id) const {
        size_t n = 0;
        for (auto& [i, pcm] : audio)
            if (i == id) n += pcm.size();
        return n;
    }
};

}  // namespace voxa::providers::test

// A pipeline on fake providers, driven in simulated call time (no sleeping).
//
//   start();                      // after editing `assistant`
//   speak(1000); quiet(2000);     // caller voice / digital silence, 20 ms steps
//   runUntil([&] { return rec.count(FrameKind::BotStoppedSpeaking) > 0; });
#pragma once
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>

#include "pipeline/completion.h"
#include "unit/pipeline/fakes.h"

namespace voxa::pipeline::test {

inline json::object baseAssistant() {
    return json::object{
        {"transcriber", json::object{{"provider", "fake"}}},
        {"voice", json::object{{"provider", "fake"}}},
        {"model", json::object{{"provider", "fake"},
                               {"messages", json::array{json::object{
                                                {"role", "system"},
                                                {"content", "You are Ada, a booking agent."}}}}}},
    };
}

class PipelineTest : public ::testing::Test {
protected:
    asio::io_context io;
    FakeWorld world{io.get_executor()};
    Recorder rec;
    std::unique_ptr<Pipeline> p;
    json::object assistant = baseAssistant();
    int64_t voiceCursor = 0;  // sample index into the caller's voice signal

    // Smart endpointing reads the process-wide completion model; serve loads it at start,
    // so the tests decide with it loaded too (a slow load would otherwise change timings).
    void SetUp() override {
        ASSERT_TRUE(awaitCompletionModel(std::chrono::seconds(60))) << "completion model did not load";
    }

    void TearDown() override {
        if (!HasFailure()) return;
        std::string log = "frames seen (call ms, kind, text):\n";
        for (auto& e : rec.events)
            if (e.kind != FrameKind::LlmText)
                log += "  " + std::to_string(e.ms) + " " + toString(e.kind) + " " + e.text + "\n";
        log += "output frames: " + std::to_string(rec.outputMs.size());
        if (!rec.outputMs.empty())
            log += " from " + std::to_string(rec.outputMs.front()) + " to " +
                   std::to_string(rec.outputMs.back());
        std::printf("%s\n", log.c_str());
    }
    ~PipelineTest() override {
        p.reset();
        world.sched.clock = nullptr;
    }

    json::object& plan(const char* name) {
        if (!assistant.contains(name)) assistant[name] = json::object{};
        return assistant[name].as_object();
    }

    void start() {
        prov::Context ctx;
        ctx.executor = io.get_executor();
        ctx.callId = "test-call";
        p = std::make_unique<Pipeline>(PipelineConfig{assistant, ctx}, rec);
        auto err = p->start();
        ASSERT_FALSE(err) << *err;
        rec.state = &p->state();
        world.sched.clock = &p->state().nowMs;
    }

    int64_t now() const { return p->state().nowMs; }

    /// One 20 ms step of call time: audio in, tick, due provider callbacks, event loop.
    void step(std::span<const int16_t> pcm) {
        if (!pcm.empty()) p->pushAudio(pcm);
        p->tick();
        world.sched.advance(now());
        io.restart();  // poll() leaves the context stopped whenever it runs out of work
        io.poll();
    }
    void speak(int ms) {
        for (int t = 0; t < ms; t += audio::kFrameMs) {
            auto f = voice(voiceCursor, audio::kFrameSamples);
            voiceCursor += audio::kFrameSamples;
            step(f);
        }
    }
    void quiet(int ms) {
        static const audio::Samples zero(audio::kFrameSamples, 0);
        for (int t = 0; t < ms; t += audio::kFrameMs) step(zero);
    }
    /// Silence until pred() holds (checked after each step) or maxMs pass; true if it held.
    template <class Pred>
    bool runUntil(Pred pred, int maxMs = 10000) {
        for (int t = 0; t < maxMs; t += audio::kFrameMs) {
            if (pred()) return true;
            quiet(audio::kFrameMs);
        }
        return pred();
    }
    bool runUntilKind(FrameKind k, int n = 1, int maxMs = 10000) {
        return runUntil([&] { return rec.count(k) >= n; }, maxMs);
    }
    /// Frames of output whose call time is in [from, to).
    int outputs(int64_t from, int64_t to = INT64_MAX) const { return rec.outputsBetween(from, to); }
    /// At most one output frame per tick, over the whole call.
    void expectAtMostOneFramePerTick() const {
        for (size_t i = 1; i < rec.outputMs.size(); ++i)
            ASSERT_LT(rec.outputMs[i - 1], rec.outputMs[i]) << "two output frames in one tick";
    }
    /// Runs until the bot has said something and stopped (the user turn finished).
    void runToBotStopped(int n = 1, int maxMs = 10000) {
        ASSERT_TRUE(runUntilKind(FrameKind::BotStoppedSpeaking, n, maxMs));
    }
};

}  // namespace voxa::pipeline::test

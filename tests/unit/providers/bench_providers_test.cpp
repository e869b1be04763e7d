// The deterministic "bench" providers: what they say and when, and that cancel/close stop
// them (bench/voice/loadgen.cpp relies on both).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <numbers>

#include "providers/bench/bench.h"

namespace voxa::providers {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

class BenchProviders : public ::testing::Test {
protected:
    boost::asio::io_context io;
    Context ctx() {
        Context c;
        c.executor = io.get_executor();
        c.callId = "bench";
        return c;
    }
    Registry& reg = Registry::instance();
};

TEST_F(BenchProviders, SttGivesItsTextOnceAfterTheDelayAndNothingAfterClose) {
    std::vector<Transcript> got;
    auto stt = reg.stt("bench")->open(json::object{{"text", "Book me in."}, {"delayMs", 30}}, ctx(),
                                      {.onTranscript = [&](const Transcript& t) { got.push_back(t); }});
    const int16_t frame[320] = {1};
    stt->sendAudio(frame);
    auto t0 = Clock::now();
    stt->finalize();
    stt->finalize();  // nothing heard since the last final: an empty final
    io.run();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(30));
    EXPECT_EQ(got[0].text, "Book me in.");
    EXPECT_TRUE(got[0].isFinal);
    EXPECT_EQ(got[1].text, "");

    stt->sendAudio(frame);
    stt->finalize();
    stt->close();
    io.restart();
    io.run();
    EXPECT_EQ(got.size(), 2u);
}

TEST_F(BenchProviders, LlmStreamsTheReplyWordByWordAndStopsOnCancel) {
    auto llm = reg.llm("bench")->open(
        json::object{{"reply", "Sure, I can. When?"}, {"firstTokenMs", 10}, {"tokenGapMs", 1}}, ctx());
    std::vector<std::string> tokens;
    int done = 0;
    auto turn = llm->complete({}, {.onText = [&](const std::string& t) { tokens.push_back(t); },
                                   .onDone = [&](const Usage& u) {
                                       ++done;
                                       EXPECT_EQ(u.completionTokens, 4);
                                   }});
    io.run();
    EXPECT_EQ(tokens, (std::vector<std::string>{"Sure, ", "I ", "can. ", "When?"}));
    EXPECT_EQ(done, 1);

    tokens.clear();
    std::shared_ptr<LlmTurn> t2;
    t2 = llm->complete({}, {.onText = [&](const std::string& t) {
                               tokens.push_back(t);
                               t2->cancel();
                           },
                           .onDone = [&](const Usage&) { ++done; }});
    io.restart();
    io.run();
    EXPECT_EQ(tokens.size(), 1u);
    EXPECT_EQ(done, 1);
}

TEST_F(BenchProviders, TtsSpeaksAToneOfWordsTimesMsPerWordInOrder) {
    std::vector<std::pair<uint64_t, size_t>> chunks;
    std::vector<uint64_t> done;
    audio::Samples all;
    auto tts = reg.tts("bench")->open(json::object{{"firstByteMs", 5}, {"msPerWord", 100}}, ctx(),
                                      {.onAudio = [&](uint64_t id, audio::Samples pcm) {
                                           chunks.push_back({id, pcm.size()});
                                           if (id == 1) all.insert(all.end(), pcm.begin(), pcm.end());
                                       },
                                       .onDone = [&](uint64_t id) { done.push_back(id); }});
    tts->speak(1, "Hello there friend.");
    tts->speak(2, "Bye.");
    io.run();
    EXPECT_EQ(done, (std::vector<uint64_t>{1, 2}));
    ASSERT_EQ(all.size(), size_t(3 * 100 * 16));  // 3 words x 100 ms at 16 kHz
    for (size_t i : {size_t(0), size_t(100), size_t(4000)})
        EXPECT_EQ(all[i], std::lround(8000 * std::sin(2 * std::numbers::pi * 220 * double(i) / 16000)));
    for (auto& [id, n] : chunks) EXPECT_LE(n, size_t(1600));  // <= 100 ms per chunk
    EXPECT_EQ(bench::tone(2, 50).size(), size_t(1600));

    chunks.clear();
    tts->speak(3, "Never heard.");
    tts->cancel();
    io.restart();
    io.run();
    EXPECT_TRUE(chunks.empty());
}

}  // namespace
}  // namespace voxa::providers

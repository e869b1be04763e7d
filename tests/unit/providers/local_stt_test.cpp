#include <gtest/gtest.h>

#include "local_test_util.h"
#include "providers/local/stt_pocketsphinx.h"

namespace voxa::providers::local::test {

namespace {

struct SttRecorder {
    std::vector<Transcript> partials, finals;
    std::vector<std::string> errors;
    size_t calls() const { return partials.size() + finals.size() + errors.size(); }
    SttCallbacks callbacks() {
        return {.onTranscript = [this](const Transcript& t) {
                    (t.isFinal ? finals : partials).push_back(t);
                },
                .onError = [this](const ProviderError& e) { errors.push_back(e.message); }};
    }
};

/// Feeds `pcm` in 20 ms frames, pumping the loop `paceMs` between frames.
void feed(Loop& loop, SttSession& s, const audio::Samples& pcm, int paceMs = 0) {
    for (size_t i = 0; i < pcm.size(); i += audio::kFrameSamples) {
        size_t n = std::min<size_t>(audio::kFrameSamples, pcm.size() - i);
        s.sendAudio({pcm.data() + i, n});
        if (paceMs > 0) loop.runFor(std::chrono::milliseconds(paceMs));
    }
}

audio::Samples silence(int ms) { return audio::Samples(size_t(audio::kRate / 1000 * ms), 0); }

audio::Samples padded(const audio::Samples& speech) {
    auto out = silence(300);
    out.insert(out.end(), speech.begin(), speech.end());
    auto tail = silence(300);
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
}

}  // namespace

int leased() { return decoderPoolStats().leased; }
int created() { return decoderPoolStats().created; }

/// Waits until a new session's warm-up is done: it holds a decoder until its first final (a
/// new one, or one an earlier test of this process left idle in the pool).
void waitForDecoder(Loop& loop) {
    ASSERT_TRUE(loop.runUntil([&] { return leased() == 1; }));
}

// flite -> pocketsphinx through both session APIs, as a call would use them.
// Voice kal16 (diphone) gives bit-identical audio on every run, so the assertion is stable.
// flite's default slt voice uses random excitation (its audio differs per run) and usually
// makes pocketsphinx hear "me to" as "mean a" here (2/6 = 33 % WER, though slt is ~4 % over
// a 10-sentence set), so slt is checked below with a looser bound.
TEST(LocalRoundTrip, FliteToPocketsphinx) {
    Loop loop;
    const std::string text = "please transfer me to customer service";
    auto speech = synthesize(loop, text, R"({"voiceId":"kal16"})");
    ASSERT_GT(speech.size(), size_t(audio::kRate));

    SttRecorder rec;
    auto t0 = Clock::now();
    auto stt = makeSttProvider()->open(obj(R"({"language":"en-US"})"), loop.ctx, rec.callbacks());
    // Pool warm-up starts at open(); wait for it so the latency below is decoding only.
    waitForDecoder(loop);
    std::printf("[ measure  ] decoder pool: open -> decoder ready %.0f ms (ps_init %.0f ms)\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count(),
                decoderPoolStats().lastInitMs);

    feed(loop, *stt, padded(speech), audio::kFrameMs);  // real time, as a call sends it
    auto tFinalize = Clock::now();
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return !rec.finals.empty(); }));
    double latency = std::chrono::duration<double, std::milli>(Clock::now() - tFinalize).count();
    auto& fin = rec.finals[0];
    double w = wer(text, fin.text);
    std::printf("[ measure  ] kal16: final \"%s\" conf %.3f, %.0f ms after finalize, WER %.0f%%, "
                "%zu partials\n",
                fin.text.c_str(), fin.confidence, latency, w * 100, rec.partials.size());
    EXPECT_TRUE(fin.isFinal);
    // 0-2 of the 6 words: since the narrowband/partials changes this decoder hears "me to" as
    // "made to (a)" here (17-33 %), the same slip as slt's below; the round trip is the point.
    EXPECT_LE(w, 0.34);
    EXPECT_GE(fin.confidence, 0.0);
    EXPECT_LE(fin.confidence, 1.0);
    EXPECT_FALSE(rec.partials.empty());
    for (auto& p : rec.partials) EXPECT_FALSE(p.isFinal);
    EXPECT_TRUE(rec.errors.empty());

    // Default voice, same session: a new utterance starts fresh after the final.
    feed(loop, *stt, padded(synthesize(loop, text)), audio::kFrameMs);
    tFinalize = Clock::now();
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return rec.finals.size() == 2; }));
    latency = std::chrono::duration<double, std::milli>(Clock::now() - tFinalize).count();
    w = wer(text, rec.finals[1].text);
    std::printf("[ measure  ] slt: final \"%s\", %.0f ms after finalize, WER %.0f%%\n",
                rec.finals[1].text.c_str(), latency, w * 100);
    EXPECT_LE(w, 0.5);
    EXPECT_EQ(rec.finals[1].text.find("customer service please"), std::string::npos);

    auto speech3 = synthesize(loop, "my account number is four five six", R"({"voiceId":"kal16"})");
    feed(loop, *stt, padded(speech3));
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return rec.finals.size() == 3; }));
    std::printf("[ measure  ] kal16: third utterance \"%s\"\n", rec.finals[2].text.c_str());
    // The session has adapted to the slt voice by now, so this is looser; what matters is
    // that nothing of the earlier utterances leaks in.
    EXPECT_LE(wer("my account number is four five six", rec.finals[2].text), 0.45);
    EXPECT_EQ(rec.finals[2].text.find("service"), std::string::npos);
    stt->close();
}

TEST(LocalStt, FastModeIsQuicker) {
    Loop loop;
    const std::string text = "please transfer me to customer service";
    auto speech = padded(synthesize(loop, text));
    SttRecorder rec;
    auto stt = makeSttProvider()->open(obj(R"({"fast":true})"), loop.ctx, rec.callbacks());
    waitForDecoder(loop);  // a new profile: its own decoder
    feed(loop, *stt, speech, audio::kFrameMs);
    auto t = Clock::now();
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return !rec.finals.empty(); }));
    std::printf("[ measure  ] fast mode: \"%s\" %.0f ms after finalize, WER %.0f%%\n",
                rec.finals[0].text.c_str(),
                std::chrono::duration<double, std::milli>(Clock::now() - t).count(),
                wer(text, rec.finals[0].text) * 100);
    EXPECT_LE(wer(text, rec.finals[0].text), 0.5);
}

// After its first final, a call holds a decoder (~90 MB) only while its caller speaks: from
// the first audio of an utterance to its final. In between the decoder serves other calls.
TEST(LocalStt, DecoderIsLeasedPerUtterance) {
    Loop loop;
    auto speech = padded(synthesize(loop, "please transfer me to customer service",
                                    R"({"voiceId":"kal16"})"));
    SttRecorder rec;
    auto stt = makeSttProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    waitForDecoder(loop);  // warm, held until the first final
    int warm = created();
    for (int utterance = 1; utterance <= 2; ++utterance) {
        feed(loop, *stt, speech, audio::kFrameMs);
        EXPECT_EQ(leased(), 1);
        stt->finalize();
        ASSERT_TRUE(loop.runUntil([&] { return int(rec.finals.size()) == utterance; }));
        EXPECT_LE(wer("please transfer me to customer service", rec.finals.back().text), 0.34)
            << rec.finals.back().text;
        EXPECT_EQ(leased(), 0);  // listening: none held
    }
    EXPECT_EQ(created(), warm);  // the same warm decoder both times
}

TEST(LocalStt, SilenceGivesEmptyFinal) {
    Loop loop;
    SttRecorder rec;
    auto stt = makeSttProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    feed(loop, *stt, silence(1000));
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return !rec.finals.empty(); }));
    EXPECT_EQ(rec.finals[0].text, "");
    EXPECT_TRUE(rec.finals[0].isFinal);
    // finalize() with no audio at all also yields an empty final.
    stt->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return rec.finals.size() == 2; }));
    EXPECT_EQ(rec.finals[1].text, "");
    EXPECT_TRUE(rec.errors.empty());
}

TEST(LocalStt, NoCallbackAfterClose) {
    Loop loop;
    auto speech = padded(synthesize(loop, "please transfer me to customer service right now"));
    SttRecorder rec;
    auto stt = makeSttProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    feed(loop, *stt, speech);  // all at once: decoding is still running on the pool
    stt->finalize();
    stt->close();
    size_t at = rec.calls();
    loop.runFor(std::chrono::milliseconds(1500));
    EXPECT_EQ(rec.calls(), at);
    stt.reset();
    loop.runFor(std::chrono::milliseconds(100));
    EXPECT_EQ(rec.calls(), at);
}

TEST(LocalStt, ParallelSessionsUseSeparateDecoders) {
    Loop loop;
    auto a = padded(synthesize(loop, "please transfer me to customer service",
                               R"({"voiceId":"kal16"})"));
    auto b = padded(synthesize(loop, "i would like to check my balance",
                               R"({"voiceId":"kal16"})"));
    SttRecorder ra, rb;
    auto sa = makeSttProvider()->open(obj("{}"), loop.ctx, ra.callbacks());
    auto sb = makeSttProvider()->open(obj(R"({"language":"en"})"), loop.ctx, rb.callbacks());
    // Interleave frames, as two live calls would.
    for (size_t i = 0; i < std::max(a.size(), b.size()); i += audio::kFrameSamples) {
        if (i < a.size()) sa->sendAudio({a.data() + i, std::min<size_t>(320, a.size() - i)});
        if (i < b.size()) sb->sendAudio({b.data() + i, std::min<size_t>(320, b.size() - i)});
    }
    sa->finalize();
    sb->finalize();
    ASSERT_TRUE(loop.runUntil([&] { return !ra.finals.empty() && !rb.finals.empty(); }));
    std::printf("[ measure  ] parallel: \"%s\" / \"%s\"\n", ra.finals[0].text.c_str(),
                rb.finals[0].text.c_str());
    EXPECT_LE(wer("please transfer me to customer service", ra.finals[0].text), 0.34);
    EXPECT_LE(wer("i would like to check my balance", rb.finals[0].text), 0.34);
    EXPECT_GE(decoderPoolStats().live, 2);
}

TEST(LocalStt, RejectsUnsupportedLanguageAndModel) {
    Loop loop;
    for (auto* cfg : {R"({"language":"fr"})", R"({"model":"nova-2"})"}) {
        SttRecorder rec;
        auto stt = makeSttProvider()->open(obj(cfg), loop.ctx, rec.callbacks());
        stt->sendAudio(silence(20));
        stt->finalize();
        ASSERT_TRUE(loop.runUntil([&] { return !rec.errors.empty(); })) << cfg;
        loop.runFor(std::chrono::milliseconds(50));
        EXPECT_TRUE(rec.finals.empty());
    }
}

}  // namespace voxa::providers::local::test

// FallbackStt / FallbackTts (providers/fallback.h) over scripted fake sessions: which entry
// serves, what is replayed to the next one, and what reaches the pipeline when none is left.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>

#include "providers/credentials.h"
#include "providers/fallback.h"

namespace voxa::providers {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

/// One opened fake session: what it was given, and its callbacks to drive it.
struct FakeStt {
    std::string provider;
    std::vector<int16_t> audio;
    int finalizes = 0;
    bool closed = false;
    SttCallbacks cb;
};

struct FakeTts {
    std::string provider;
    std::vector<std::pair<uint64_t, std::string>> spoken;
    int cancels = 0;
    bool closed = false;
    TtsCallbacks cb;
};

class SttProxy final : public SttSession {
public:
    explicit SttProxy(std::shared_ptr<FakeStt> f) : f_(std::move(f)) {}
    void sendAudio(std::span<const int16_t> pcm) override { f_->audio.insert(f_->audio.end(), pcm.begin(), pcm.end()); }
    void finalize() override { ++f_->finalizes; }
    void close() override { f_->closed = true; }

private:
    std::shared_ptr<FakeStt> f_;
};

class TtsProxy final : public TtsSession {
public:
    explicit TtsProxy(std::shared_ptr<FakeTts> f) : f_(std::move(f)) {}
    void speak(uint64_t id, std::string text) override { f_->spoken.emplace_back(id, std::move(text)); }
    void cancel() override { ++f_->cancels; }
    void close() override { f_->closed = true; }

private:
    std::shared_ptr<FakeTts> f_;
};

std::vector<Candidate> chain(std::initializer_list<const char*> names) {
    std::vector<Candidate> out;
    for (auto* n : names) out.push_back({n, json::object{{"provider", n}}});
    return out;
}

class Fallbacks : public ::testing::Test {
protected:
    boost::asio::io_context io;
    std::vector<std::shared_ptr<FakeStt>> stts;
    std::vector<std::shared_ptr<FakeTts>> ttss;
    std::vector<Serving> serving;
    std::vector<Transcript> transcripts;
    std::vector<ProviderError> errors;
    std::vector<std::pair<uint64_t, size_t>> audio;  // id, samples
    std::vector<uint64_t> done;

    Context ctx() {
        Context c;
        c.executor = io.get_executor();
        c.callId = "fallback-test";
        return c;
    }
    std::unique_ptr<FallbackStt> stt(std::vector<Candidate> c, std::chrono::milliseconds timeout = 8000ms) {
        FallbackStt::Options o;
        o.onServing = [this](const Serving& s) { serving.push_back(s); };
        o.resultTimeout = timeout;
        o.open = [this](const Candidate& c, const Context&, SttCallbacks cb) -> std::unique_ptr<SttSession> {
            if (c.provider == "missing") return nullptr;
            auto f = std::make_shared<FakeStt>();
            f->provider = c.provider;
            f->cb = std::move(cb);
            stts.push_back(f);
            return std::make_unique<SttProxy>(f);
        };
        return std::make_unique<FallbackStt>(
            std::move(c), ctx(),
            SttCallbacks{.onTranscript = [this](const Transcript& t) { transcripts.push_back(t); },
                         .onError = [this](const ProviderError& e) { errors.push_back(e); }},
            std::move(o));
    }
    std::unique_ptr<FallbackTts> tts(std::vector<Candidate> c, std::chrono::milliseconds timeout = 8000ms) {
        FallbackTts::Options o;
        o.onServing = [this](const Serving& s) { serving.push_back(s); };
        o.audioTimeout = timeout;
        o.open = [this](const Candidate& c, const Context&, TtsCallbacks cb) -> std::unique_ptr<TtsSession> {
            auto f = std::make_shared<FakeTts>();
            f->provider = c.provider;
            f->cb = std::move(cb);
            ttss.push_back(f);
            return std::make_unique<TtsProxy>(f);
        };
        TtsCallbacks cb;
        cb.onAudio = [this](uint64_t id, audio::Samples pcm) { audio.emplace_back(id, pcm.size()); };
        cb.onDone = [this](uint64_t id) { done.push_back(id); };
        cb.onError = [this](uint64_t id, const std::string& e) { errors.push_back({FailureCause::Other, e, false}); };
        cb.onFailure = [this](const ProviderError& e) { errors.push_back(e); };
        return std::make_unique<FallbackTts>(std::move(c), ctx(), std::move(cb), std::move(o));
    }
    /// Runs what is ready (the io_context is restarted: a poll that ran out of work stops it).
    void poll() {
        io.restart();
        io.poll();
    }
    static std::vector<int16_t> pcm(size_t n, int16_t v) { return std::vector<int16_t>(n, v); }
};

TEST(FallbackChain, PrimaryThenItsFallbackPlanEntriesInOrder) {
    auto t = json::parse(R"({"provider":"deepgram","model":"nova-2","fallbackPlan":{"transcribers":[
        {"provider":"assembly-ai"},{"model":"no provider: skipped"},{"provider":"local","language":"en-US"}]}})");
    auto c = sttChain(t.as_object());
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].provider, "deepgram");
    EXPECT_FALSE(c[0].config.contains("fallbackPlan"));
    EXPECT_EQ(c[1].provider, "assembly-ai");
    EXPECT_EQ(c[2].provider, "local");
    EXPECT_EQ(c[2].config.at("language"), "en-US");
    auto v = json::parse(R"({"provider":"custom-voice","server":{"url":"http://x"},
        "fallbackPlan":{"voices":[{"provider":"local","voiceId":"rms"}]}})");
    auto vc = ttsChain(v.as_object());
    ASSERT_EQ(vc.size(), 2u);
    EXPECT_EQ(vc[1].provider, "local");
    EXPECT_EQ(ttsChain(json::object{}).front().provider, "local");
}

TEST_F(Fallbacks, SttSwitchesOnAFatalErrorAndReplaysTheUnfinishedUtterance) {
    auto s = stt(chain({"deepgram", "local"}));
    ASSERT_EQ(serving.size(), 1u);
    EXPECT_EQ(serving[0].provider, "deepgram");
    // Turn 1 is answered by the primary: its audio leaves the replay ring.
    s->sendAudio(pcm(1600, 1));
    s->finalize();
    stts[0]->cb.onTranscript({"first turn", true, 0.9});
    // Turn 2: audio, the end of speech, then the socket closes before the final.
    s->sendAudio(pcm(800, 2));
    s->sendAudio(pcm(800, 3));
    s->finalize();
    stts[0]->cb.onError({FailureCause::Disconnected, "closed mid-call", true});
    EXPECT_TRUE(errors.empty());
    poll();
    ASSERT_EQ(stts.size(), 2u);
    EXPECT_TRUE(stts[0]->closed);
    EXPECT_EQ(stts[1]->provider, "local");
    EXPECT_EQ(s->provider(), "local");
    ASSERT_EQ(serving.size(), 2u);
    EXPECT_EQ(serving[1].failed, "deepgram");
    EXPECT_EQ(serving[1].why.cause, FailureCause::Disconnected);
    // Exactly turn 2's audio, then the pending finalize.
    ASSERT_EQ(stts[1]->audio.size(), 1600u);
    EXPECT_EQ(stts[1]->audio.front(), 2);
    EXPECT_EQ(stts[1]->audio.back(), 3);
    EXPECT_EQ(stts[1]->finalizes, 1);
    // The failed one is deaf now; the fallback answers.
    stts[0]->cb.onTranscript({"stale", true, 1});
    stts[1]->cb.onTranscript({"second turn", true, 0.8});
    ASSERT_EQ(transcripts.size(), 2u);
    EXPECT_EQ(transcripts[1].text, "second turn");
    EXPECT_TRUE(errors.empty());
}

TEST_F(Fallbacks, SttNonFatalErrorsPassThroughWithoutASwitch) {
    auto s = stt(chain({"deepgram", "local"}));
    stts[0]->cb.onError({FailureCause::Other, "warning", false});
    poll();
    EXPECT_EQ(stts.size(), 1u);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_FALSE(errors[0].fatal);
}

TEST_F(Fallbacks, SttTimesOutANetworkProviderThatNeverAnswersAFinalize) {
    auto s = stt(chain({"deepgram", "deepgram"}), 30ms);
    s->sendAudio(pcm(320, 5));
    s->finalize();
    while (stts.size() < 2 && io.run_one_for(500ms)) {
    }
    ASSERT_EQ(stts.size(), 2u);
    EXPECT_EQ(serving.back().why.cause, FailureCause::Timeout);
    EXPECT_EQ(stts[1]->audio.size(), 320u);
    EXPECT_EQ(stts[1]->finalizes, 1);
    // The fallback answers in time: no further switch.
    stts[1]->cb.onTranscript({"ok", true, 1});
    io.restart();
    io.run_for(100ms);
    EXPECT_EQ(stts.size(), 2u);
    EXPECT_TRUE(errors.empty());
}

TEST_F(Fallbacks, SttExhaustedReportsTheLastFailureAsFatal) {
    auto s = stt(chain({"deepgram", "missing", "deepgram"}));
    stts[0]->cb.onError({FailureCause::ConnectFailed, "refused", true});
    poll();
    // "missing" is not on this server: skipped to the third entry.
    ASSERT_EQ(stts.size(), 2u);
    EXPECT_EQ(s->index(), 2u);
    stts[1]->cb.onError({FailureCause::Unauthorized, "401", true});
    poll();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_TRUE(errors[0].fatal);
    EXPECT_EQ(errors[0].cause, FailureCause::Unauthorized);
    EXPECT_EQ(s->provider(), "deepgram");
    s->sendAudio(pcm(10, 1));  // nothing more goes anywhere
    EXPECT_TRUE(stts[1]->audio.empty());
}

TEST_F(Fallbacks, SttWithoutFallbacksFailsAsTheProviderDid) {
    auto s = stt(chain({"deepgram"}));
    stts[0]->cb.onError({FailureCause::Unauthorized, "401", true});
    poll();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].cause, FailureCause::Unauthorized);
}

TEST(UnspokenRest, DropsTheWordsTheAudioCoveredAndRepeatsACutWord) {
    std::string t = "Your table is booked for seven tonight.";
    EXPECT_EQ(unspokenRest(t, 0), t);
    // 1 s of audio ~ 15 characters: "Your table is b|ooked" -> "booked ..." is said again.
    EXPECT_EQ(unspokenRest(t, 16000), "booked for seven tonight.");
    EXPECT_EQ(unspokenRest(t, 16000 * 10), "");
}

TEST_F(Fallbacks, TtsSwitchesOnFailureAndSpeaksTheUnfinishedUtterancesInOrder) {
    auto s = tts(chain({"custom-voice", "local"}));
    s->speak(1, "Hello there.");
    s->speak(2, "Your table is booked for seven tonight.");
    s->speak(3, "Anything else?");
    auto first = ttss[0];
    first->cb.onAudio(1, audio::Samples(8000));
    first->cb.onDone(1);
    first->cb.onAudio(2, audio::Samples(16000));  // a second of utterance 2, then it dies
    first->cb.onFailure({FailureCause::ServerError, "HTTP 500", true});
    poll();
    ASSERT_EQ(ttss.size(), 2u);
    EXPECT_TRUE(first->closed);
    EXPECT_EQ(s->provider(), "local");
    EXPECT_EQ(serving.back().failed, "custom-voice");
    ASSERT_EQ(ttss[1]->spoken.size(), 2u);
    EXPECT_EQ(ttss[1]->spoken[0], (std::pair<uint64_t, std::string>{2, "booked for seven tonight."}));
    EXPECT_EQ(ttss[1]->spoken[1], (std::pair<uint64_t, std::string>{3, "Anything else?"}));
    ttss[1]->cb.onAudio(2, audio::Samples(100));
    ttss[1]->cb.onDone(2);
    first->cb.onAudio(3, audio::Samples(100));  // the failed voice is not heard again
    EXPECT_EQ(audio.back(), (std::pair<uint64_t, size_t>{2, 100}));
    EXPECT_EQ(done, (std::vector<uint64_t>{1, 2}));
    EXPECT_TRUE(errors.empty());
}

TEST_F(Fallbacks, TtsAnUtteranceErrorMovesToTheNextVoiceWhenThereIsOne) {
    auto s = tts(chain({"local", "local"}));
    s->speak(7, "Hi.");
    ttss[0]->cb.onError(7, "unknown voice");
    poll();
    ASSERT_EQ(ttss.size(), 2u);
    ASSERT_EQ(ttss[1]->spoken.size(), 1u);
    EXPECT_EQ(ttss[1]->spoken[0].second, "Hi.");
    // With none left, an utterance error is what it was before: that utterance is skipped.
    ttss[1]->cb.onError(7, "unknown voice");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_FALSE(errors[0].fatal);
}

TEST_F(Fallbacks, TtsTimesOutAVoiceThatSendsNoAudio) {
    auto s = tts(chain({"custom-voice", "custom-voice"}), 30ms);
    s->speak(1, "Are you there?");
    while (ttss.size() < 2 && io.run_one_for(500ms)) {
    }
    ASSERT_EQ(ttss.size(), 2u);
    EXPECT_EQ(serving.back().why.cause, FailureCause::Timeout);
    ASSERT_EQ(ttss[1]->spoken.size(), 1u);
    // The fallback stalls as well: nothing left.
    io.restart();
    io.run_for(200ms);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].cause, FailureCause::Timeout);
    EXPECT_TRUE(errors[0].fatal);
}

TEST_F(Fallbacks, TtsBargeInClearsWhatWouldBeReplayed) {
    auto s = tts(chain({"custom-voice", "local"}));
    s->speak(1, "A long answer.");
    s->cancel();
    EXPECT_EQ(ttss[0]->cancels, 1);
    ttss[0]->cb.onFailure({FailureCause::Disconnected, "gone", true});
    poll();
    ASSERT_EQ(ttss.size(), 2u);
    EXPECT_TRUE(ttss[1]->spoken.empty());
}

}  // namespace
}  // namespace voxa::providers

// ---- POST /call's checks of the fallback entries -----------------------------------------

namespace voxa::providers {
namespace {

TEST(FallbackChecks, AFallbackEntryNeedsItsOwnKeyAndIsNamed) {
    ::unsetenv("CARTESIA_API_KEY");
    ::setenv("DEEPGRAM_API_KEY", "dg-env", 1);
    auto a = json::parse(R"({"transcriber":{"provider":"deepgram",
        "fallbackPlan":{"transcribers":[{"provider":"local"},{"provider":"deepgram","model":"nova-3"}]}},
        "voice":{"provider":"local","fallbackPlan":{"voices":[{"provider":"cartesia","voiceId":"v"}]}}})").as_object();
    auto keyed = keyedProviders(a);
    ASSERT_EQ(keyed.size(), 3u);
    EXPECT_EQ(keyed[1].field, "transcriber.fallbackPlan.transcribers[1]");
    EXPECT_EQ(keyed[2].field, "voice.fallbackPlan.voices[0]");
    std::vector<std::string> missing;
    auto creds = resolveCredentials(a, {}, &missing);
    ::unsetenv("DEEPGRAM_API_KEY");
    EXPECT_EQ(creds.at("deepgram").apiKey, "dg-env");
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_TRUE(missing[0].starts_with("voice.fallbackPlan.voices[0].provider \"cartesia\" needs an API key")) << missing[0];
}

TEST(FallbackChecks, AFallbackProviderThisServerLacksIsRefused) {
    auto a = json::parse(R"({"voice":{"provider":"local","fallbackPlan":{"voices":[
        {"provider":"custom-voice","server":{"url":"http://x"}},{"provider":"azure","voiceId":"x"}]}}})").as_object();
    auto why = Registry::instance().unavailable(a);
    ASSERT_TRUE(why);
    EXPECT_TRUE(why->starts_with("voice.fallbackPlan.voices[1].provider \"azure\" is not available")) << *why;
    a["voice"].as_object()["fallbackPlan"].as_object()["voices"].as_array().pop_back();
    EXPECT_FALSE(Registry::instance().unavailable(a));
}

}  // namespace
}  // namespace voxa::providers

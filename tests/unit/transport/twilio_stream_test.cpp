// Twilio Media Streams: parsing what Twilio sends and writing what it expects back.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>

#include "audio/g711.h"
#include "common/crypto.h"
#include "transport/twilio/media_stream.h"

namespace voxa::transport::twilio {
namespace {

namespace json = boost::json;

TEST(TwilioStream, StartCarriesTheStreamSidAndTheTokenParameter) {
    MediaStreamParser p;
    EXPECT_EQ(p.parse(R"({"event":"connected","protocol":"Call","version":"1.0.0"})").kind, TwilioEvent::Connected);
    auto ev = p.parse(R"({"event":"start","sequenceNumber":"1","streamSid":"MZ1",
        "start":{"streamSid":"MZ1","callSid":"CA9","tracks":["inbound"],
                 "customParameters":{"token":"tok-123"},
                 "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}})");
    ASSERT_EQ(ev.kind, TwilioEvent::Start);
    EXPECT_EQ(ev.streamSid, "MZ1");
    EXPECT_EQ(ev.callSid, "CA9");
    EXPECT_EQ(ev.token, "tok-123");
    EXPECT_EQ(p.parse(R"({"event":"stop","streamSid":"MZ1"})").kind, TwilioEvent::Stop);
    auto d = p.parse(R"({"event":"dtmf","dtmf":{"track":"inbound_track","digit":"5"}})");
    EXPECT_EQ(d.kind, TwilioEvent::Dtmf);
    EXPECT_EQ(d.digit, "5");
}

TEST(TwilioStream, MediaIsMuLaw8kUpsampledTo16k) {
    MediaStreamParser p;
    // 1 s of a 440 Hz tone at 8 kHz, in 20 ms frames.
    size_t total = 0;
    double energy = 0;
    for (int f = 0; f < 50; ++f) {
        int16_t pcm[160];
        for (int i = 0; i < 160; ++i)
            pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * (f * 160 + i) / 8000.0));
        std::string ulaw;
        audio::g711::encodeUlaw(pcm, ulaw);
        auto ev = p.parse(json::serialize(json::object{
            {"event", "media"}, {"media", json::object{{"track", "inbound"}, {"payload", base64Encode(ulaw)}}}}));
        ASSERT_EQ(ev.kind, TwilioEvent::Media);
        total += ev.pcm.size();
        for (auto s : ev.pcm) energy += double(s) * s;
    }
    EXPECT_NEAR(double(total), 16000, 64) << "twice the samples";
    EXPECT_NEAR(std::sqrt(energy / double(total)), 8000 / std::sqrt(2.0), 600) << "the tone's level survives";
}

TEST(TwilioStream, BadFramesAreErrorsNotCrashes) {
    MediaStreamParser p;
    EXPECT_EQ(p.parse("not json").kind, TwilioEvent::Error);
    EXPECT_EQ(p.parse("[1,2]").kind, TwilioEvent::Error);
    EXPECT_EQ(p.parse(R"({"streamSid":"x"})").kind, TwilioEvent::Error);
    auto bad = p.parse(R"({"event":"media","media":{"payload":"%%%not base64"}})");
    EXPECT_EQ(bad.kind, TwilioEvent::Error);
    EXPECT_NE(bad.error.find("base64"), std::string::npos);
    std::string huge(20000, 'A');  // 15 kB of audio > 1 s
    EXPECT_EQ(p.parse(R"({"event":"media","media":{"payload":")" + huge + "\"}}").kind, TwilioEvent::Error);
    EXPECT_EQ(p.parse(R"({"event":"media","media":{"track":"outbound","payload":"//8="}})").kind, TwilioEvent::Ignored);
    EXPECT_EQ(p.parse(R"({"event":"somethingNew"})").kind, TwilioEvent::Ignored);
}

TEST(TwilioStream, WriterSends20msOfMuLawAndClear) {
    MediaStreamWriter w("MZ7");
    int16_t pcm[320] = {};
    auto msg = json::parse(w.media(pcm)).as_object();
    EXPECT_EQ(msg.at("event"), "media");
    EXPECT_EQ(msg.at("streamSid"), "MZ7");
    auto raw = base64Decode(msg.at("media").at("payload").as_string());
    ASSERT_TRUE(raw);
    EXPECT_NEAR(double(raw->size()), 160, 2) << "20 ms at 8 kHz";
    EXPECT_EQ(json::parse(w.clear()), json::parse(R"({"event":"clear","streamSid":"MZ7"})"));
}

// Barge-in: the resampler's filter holds the tail of the interrupted audio; "clear" must
// drop it, or the next reply opens with ~5 ms of the old one (a click on every barge-in).
TEST(TwilioStream, ClearForgetsTheInterruptedAudio) {
    auto firstFrameRms = [](bool clear) {
        MediaStreamWriter w("MZ8");
        int16_t loud[320];
        for (int i = 0; i < 320; ++i) loud[i] = static_cast<int16_t>(12000 * std::sin(2 * M_PI * 700 * i / 16000.0));
        (void)w.media(loud);
        if (clear) (void)w.clear();
        int16_t quiet[320] = {};
        auto payload = json::parse(w.media(quiet)).as_object().at("media").at("payload").as_string();
        audio::Samples pcm;
        audio::g711::decodeUlaw(*base64Decode(payload), pcm);
        double e = 0;
        for (auto s : pcm) e += double(s) * s;
        return std::sqrt(e / double(pcm.size()));
    };
    EXPECT_GT(firstFrameRms(false), 300) << "without clear the old audio goes on (the filter delay)";
    EXPECT_LT(firstFrameRms(true), 10) << "after clear the next frame is only what was sent";
}

}  // namespace
}  // namespace voxa::transport::twilio

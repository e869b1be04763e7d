// OpenAI's Audio API as transcriber and voice: Vapi's fields -> the multipart transcription
// request and the speech JSON, the transcription answer decoded (SSE deltas / done, plain
// JSON, garbage), and one session of each against an in-process OpenAI (HttpServer) for the
// order of things: a request per utterance, 24 kHz PCM played at 16 kHz, failures with cause.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "audio/wav.h"
#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/endpoints.h"
#include "providers/openai/openai_stt.h"
#include "providers/openai/openai_tts.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers::openai {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using Update = TranscriptionDecoder::Update;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

struct Part {
    std::string headers;
    std::string data;
};

/// The parts of a multipart/form-data body by field name (an independent reading of RFC 7578).
std::map<std::string, Part> formParts(const std::string& body, const std::string& boundary) {
    std::map<std::string, Part> out;
    std::string delim = "--" + boundary;
    size_t pos = body.find(delim);
    EXPECT_EQ(pos, 0u) << "the body starts with the boundary";
    while (pos != std::string::npos) {
        pos += delim.size();
        if (body.compare(pos, 2, "--") == 0) {
            EXPECT_EQ(body.substr(pos), "--\r\n") << "the closing delimiter ends the body";
            break;
        }
        EXPECT_EQ(body.compare(pos, 2, "\r\n"), 0);
        size_t headEnd = body.find("\r\n\r\n", pos);
        size_t next = body.find("\r\n" + delim, headEnd);
        if (headEnd == std::string::npos || next == std::string::npos) {
            ADD_FAILURE() << "a part without its end";
            break;
        }
        Part p{body.substr(pos + 2, headEnd - pos - 2), body.substr(headEnd + 4, next - headEnd - 4)};
        auto n = p.headers.find("name=\"");
        std::string name = p.headers.substr(n + 6, p.headers.find('"', n + 6) - n - 6);
        out[name] = std::move(p);
        pos = next + 2;
    }
    return out;
}

TEST(OpenAiTranscription, VapiFieldsMapToTheForm) {
    auto s = transcriptionSettings(obj(R"({"provider":"openai","model":"gpt-4o-mini-transcribe","language":"de"})"));
    EXPECT_EQ(s.model, "gpt-4o-mini-transcribe");
    EXPECT_EQ(s.language, "de");
    EXPECT_TRUE(s.stream);
    std::string boundary = makeBoundary();
    EXPECT_NE(boundary, makeBoundary()) << "random per request";
    std::vector<int16_t> pcm(1600, 1234);
    std::string wav = audio::encodeWav(pcm, 16000);
    auto parts = formParts(transcriptionBody(s, wav, boundary), boundary);
    ASSERT_EQ(parts.size(), 5u);
    EXPECT_NE(parts["file"].headers.find("filename=\"utterance.wav\""), std::string::npos) << parts["file"].headers;
    EXPECT_NE(parts["file"].headers.find("Content-Type: audio/wav"), std::string::npos);
    EXPECT_EQ(parts["file"].data, wav);
    EXPECT_EQ(audio::decodeWav(parts["file"].data, 16000), pcm);
    EXPECT_EQ(parts["model"].data, "gpt-4o-mini-transcribe");
    EXPECT_EQ(parts["language"].data, "de");
    EXPECT_EQ(parts["response_format"].data, "json");
    EXPECT_EQ(parts["stream"].data, "true");
}

TEST(OpenAiTranscription, DefaultsAndWhisperWithoutStreaming) {
    auto s = transcriptionSettings(obj(R"({"provider":"openai"})"));
    EXPECT_EQ(s.model, "gpt-4o-transcribe");
    EXPECT_EQ(s.language, "");
    auto parts = formParts(transcriptionBody(s, "RIFF", "b0"), "b0");
    EXPECT_EQ(parts.count("language"), 0u) << "no language: the model detects it";
    EXPECT_EQ(parts["stream"].data, "true");
    s = transcriptionSettings(obj(R"({"provider":"openai","model":"whisper-1"})"));
    EXPECT_FALSE(s.stream);
    EXPECT_EQ(formParts(transcriptionBody(s, "RIFF", "b1"), "b1").count("stream"), 0u);
}

TEST(OpenAiAudioUrl, JoinsTheApiRootAsTheChatModelDoes) {
    EXPECT_EQ(audioUrl("https://api.openai.com/v1", "/audio/transcriptions"), "https://api.openai.com/v1/audio/transcriptions");
    EXPECT_EQ(audioUrl("http://127.0.0.1:8000/v1/", "/audio/speech"), "http://127.0.0.1:8000/v1/audio/speech");
    EXPECT_EQ(audioUrl("http://h/v1/audio/speech", "/audio/speech"), "http://h/v1/audio/speech");
}

TEST(OpenAiTranscriptionDecoder, StreamedDeltasThenDoneSplitAnywhere) {
    std::string body =
        "event: transcript.text.delta\ndata: {\"type\":\"transcript.text.delta\",\"delta\":\"I would\"}\n\n"
        "data: {\"type\":\"transcript.text.delta\",\"delta\":\" like\",\"logprobs\":[]}\n\n"
        "data: {\"type\":\"transcript.text.segment\",\"id\":\"s\",\"text\":\"x\"}\n\n"
        "data: {\"type\":\"transcript.text.done\",\"text\":\"I would like.\",\"usage\":{\"type\":\"tokens\"}}\n\n";
    for (size_t step : {body.size(), size_t{1}, size_t{7}}) {
        TranscriptionDecoder d;
        std::vector<Update> out;
        for (size_t i = 0; i < body.size(); i += step) ASSERT_TRUE(d.feed(std::string_view(body).substr(i, step), out));
        ASSERT_TRUE(d.finish(out));
        ASSERT_EQ(out.size(), 3u) << step;
        EXPECT_EQ(out[0].partial, "I would");
        EXPECT_EQ(out[1].partial, "I would like");
        EXPECT_EQ(out[2].final, "I would like.");
        EXPECT_TRUE(d.done());
    }
}

TEST(OpenAiTranscriptionDecoder, PlainJsonEndedStreamsAndGarbage) {
    {
        TranscriptionDecoder d;
        std::vector<Update> out;
        ASSERT_TRUE(d.feed("{\"text\":\"Hello", out));
        ASSERT_TRUE(d.feed(" there.\"}", out));
        EXPECT_TRUE(out.empty()) << "a JSON answer is whole only at the end";
        ASSERT_TRUE(d.finish(out));
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].final, "Hello there.");
    }
    {
        TranscriptionDecoder d;  // the stream ended without its done event: the deltas are the final
        std::vector<Update> out;
        ASSERT_TRUE(d.feed("data: {\"type\":\"transcript.text.delta\",\"delta\":\"Hi\"}\n\n", out));
        ASSERT_TRUE(d.finish(out));
        ASSERT_EQ(out.size(), 2u);
        EXPECT_EQ(out[1].final, "Hi");
    }
    auto fails = [](std::string_view body) {
        TranscriptionDecoder d;
        std::vector<Update> out;
        return !d.feed(body, out) || !d.finish(out);
    };
    EXPECT_TRUE(fails("<html><body>502 Bad Gateway</body></html>"));
    EXPECT_TRUE(fails(""));
    EXPECT_TRUE(fails("{\"text\":42}"));
    EXPECT_TRUE(fails("{not json"));
    EXPECT_TRUE(fails("data: not json\n\n"));
    EXPECT_TRUE(fails("data: {\"no\":\"type\"}\n\n"));
    EXPECT_TRUE(fails("data: {\"error\":{\"message\":\"server_error\"}}\n\n"));
    EXPECT_TRUE(fails(": only a comment\n\n"));
}

TEST(OpenAiSpeech, VapiFieldsMapToTheRequestBody) {
    auto b = json::parse(speechBody(obj(R"({"provider":"openai","voiceId":"nova","model":"gpt-4o-mini-tts",
        "instructions":"Speak warmly.","speed":1.25,"cachingEnabled":true,"chunkPlan":{"enabled":true}})"), "Hello there."));
    EXPECT_EQ(b, json::parse(R"({"model":"gpt-4o-mini-tts","input":"Hello there.","voice":"nova",
        "response_format":"pcm","speed":1.25,"instructions":"Speak warmly."})"));
    b = json::parse(speechBody(obj(R"({"provider":"openai","voiceId":"alloy","instructions":"x","speed":9})"), "Hi"));
    EXPECT_EQ(b, json::parse(R"({"model":"tts-1","input":"Hi","voice":"alloy","response_format":"pcm"})"))
        << "tts-1 by default, no instructions for it, speed out of range left out";
    b = json::parse(speechBody(obj(R"({"provider":"openai","voiceId":"echo","model":"tts-1-hd","instructions":"x"})"), "Hi"));
    EXPECT_FALSE(b.as_object().contains("instructions"));
}

TEST(OpenAiSpeech, TextAnswersAreNotPcm) {
    EXPECT_TRUE(looksLikeText("{\""));
    EXPECT_TRUE(looksLikeText("<h"));
    EXPECT_TRUE(looksLikeText("{\n"));
    EXPECT_FALSE(looksLikeText(std::string("\x7b\x00", 2)));  // sample 123: quiet PCM
    EXPECT_FALSE(looksLikeText(std::string("\x3c\xff", 2)));  // sample -196
    EXPECT_FALSE(looksLikeText("ab"));
    EXPECT_FALSE(looksLikeText("{"));
}

// ---- sessions against an in-process OpenAI ------------------------------------------------

/// Answers POST /v1/audio/transcriptions and /v1/audio/speech as scripted; records requests.
struct FakeOpenAi {
    std::mutex mu;
    std::vector<net::HttpRequest> requests;
    int status = 200;
    std::string contentType = "text/event-stream";
    std::string body;
    net::HttpServer server;

    FakeOpenAi()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1, .bodyLimit = 4 << 20},
                 [this](net::HttpRequest& req) -> asio::awaitable<net::HttpResponse> {
                     std::lock_guard l(mu);
                     requests.push_back(req);
                     co_return net::HttpResponse::text(status, body, contentType);
                 }) {
        server.start();
    }
    ~FakeOpenAi() { server.stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/v1"; }
    std::vector<net::HttpRequest> seen() {
        std::lock_guard l(mu);
        return requests;
    }
};


struct Stt : test::SttHarness {
    Stt(const std::string& url, json::object cfg) : SttHarness(*makeSttProvider(), "openai", url, "sk-secret", cfg) {}
    size_t finals() const {
        return static_cast<size_t>(std::count_if(transcripts.begin(), transcripts.end(), [](auto& t) { return t.isFinal; }));
    }
};

TEST(OpenAiSttSession, AnUtterancePerRequestWithPartialsThenTheFinal) {
    FakeOpenAi fake;
    fake.body = "data: {\"type\":\"transcript.text.delta\",\"delta\":\"Hello\"}\n\n"
                "data: {\"type\":\"transcript.text.delta\",\"delta\":\" there\"}\n\n"
                "data: {\"type\":\"transcript.text.done\",\"text\":\"Hello there.\"}\n\n";
    Stt s(fake.url(), obj(R"({"provider":"openai","model":"gpt-4o-mini-transcribe","language":"en"})"));
    std::vector<int16_t> pcm(16000, 1000);  // 1 s
    s.stt->sendAudio(pcm);
    s.runUntil([] { return false; }, 100ms);
    EXPECT_TRUE(fake.seen().empty()) << "nothing is sent before the end of speech";
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return s.finals() == 1; }));
    ASSERT_EQ(s.transcripts.size(), 3u);
    EXPECT_EQ(s.transcripts[0].text, "Hello");
    EXPECT_FALSE(s.transcripts[0].isFinal);
    EXPECT_EQ(s.transcripts[1].text, "Hello there");
    EXPECT_EQ(s.transcripts[2].text, "Hello there.");
    auto reqs = fake.seen();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].path, "/v1/audio/transcriptions");
    EXPECT_EQ(reqs[0].header("authorization"), "Bearer sk-secret");
    std::string ct(reqs[0].header("content-type"));
    ASSERT_TRUE(ct.starts_with("multipart/form-data; boundary=")) << ct;
    auto parts = formParts(reqs[0].body, ct.substr(ct.find('=') + 1));
    EXPECT_EQ(audio::decodeWav(parts["file"].data, 16000), pcm) << "the utterance, as a 16 kHz WAV";
    EXPECT_EQ(parts["model"].data, "gpt-4o-mini-transcribe");
    EXPECT_EQ(parts["language"].data, "en");

    // The next utterance is a request of its own, with only its audio; a plain JSON answer.
    fake.contentType = "application/json";
    fake.body = R"({"text":"Goodbye.","usage":{"type":"duration","seconds":1}})";
    std::vector<int16_t> half(8000, -500);
    s.stt->sendAudio(half);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return s.finals() == 2; }));
    EXPECT_EQ(s.transcripts.back().text, "Goodbye.");
    reqs = fake.seen();
    ASSERT_EQ(reqs.size(), 2u);
    ct = std::string(reqs[1].header("content-type"));
    EXPECT_EQ(audio::decodeWav(formParts(reqs[1].body, ct.substr(ct.find('=') + 1))["file"].data, 16000), half);
    EXPECT_TRUE(s.errors.empty());
}

TEST(OpenAiSttSession, TooLittleAudioIsAnEmptyFinalWithoutARequest) {
    FakeOpenAi fake;
    Stt s(fake.url(), obj(R"({"provider":"openai","model":"gpt-4o-transcribe"})"));
    std::vector<int16_t> blip(800, 1000);  // 50 ms
    s.stt->sendAudio(blip);
    s.stt->finalize();
    s.stt->finalize();  // nothing at all
    ASSERT_TRUE(s.runUntil([&] { return s.finals() == 2; }));
    EXPECT_EQ(s.transcripts[0].text, "");
    EXPECT_TRUE(fake.seen().empty());
}

TEST(OpenAiSttSession, FailuresCarryTheirCause) {
    auto failure = [](int status, std::string body, std::string type = "application/json") {
        FakeOpenAi fake;
        fake.status = status;
        fake.body = std::move(body);
        fake.contentType = std::move(type);
        Stt s(fake.url(), obj(R"({"provider":"openai","model":"gpt-4o-transcribe"})"));
        std::vector<int16_t> pcm(8000, 1000);
        s.stt->sendAudio(pcm);
        s.stt->finalize();
        EXPECT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.finals(), 0u);
        if (s.errors.empty()) return ProviderError{};
        EXPECT_TRUE(s.errors[0].fatal);
        EXPECT_EQ(s.errors[0].message.find("sk-secret"), std::string::npos) << "the key is never in a message";
        return s.errors[0];
    };
    auto e = failure(401, R"({"error":{"message":"Incorrect API key provided: sk-wrong.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})");
    EXPECT_EQ(e.cause, FailureCause::Unauthorized);
    EXPECT_NE(e.message.find("Incorrect API key"), std::string::npos) << e.message;
    EXPECT_EQ(failure(400, R"({"error":{"message":"Audio file is too short."}})").cause, FailureCause::BadRequest);
    EXPECT_EQ(failure(503, "overloaded").cause, FailureCause::ServerError);
    EXPECT_EQ(failure(200, "<html>gateway</html>", "text/html").cause, FailureCause::BadMessage);

    Stt refused("http://127.0.0.1:9/v1", obj(R"({"provider":"openai","model":"gpt-4o-transcribe"})"));
    std::vector<int16_t> pcm(8000, 1000);
    refused.stt->sendAudio(pcm);
    refused.stt->finalize();
    ASSERT_TRUE(refused.runUntil([&] { return !refused.errors.empty(); }));
    EXPECT_EQ(refused.errors[0].cause, FailureCause::ConnectFailed);
}

struct Tts : test::TtsHarness {
    Tts(const std::string& url, json::object cfg) : TtsHarness(*makeTtsProvider(), "openai", url, "sk-secret", cfg) {}
};

std::string tone24k(int ms) {
    std::string out;
    for (int i = 0; i < 24 * ms; ++i) {
        auto s = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * i / 24000.0));
        out.append(reinterpret_cast<const char*>(&s), 2);
    }
    return out;
}

TEST(OpenAiTtsSession, SpeaksEachUtteranceInOrderResampledTo16k) {
    FakeOpenAi fake;
    fake.contentType = "application/octet-stream";
    fake.body = tone24k(300);
    Tts s(fake.url(), obj(R"({"provider":"openai","voiceId":"shimmer","model":"tts-1-hd","speed":1.5})"));
    s.tts->speak(1, "Hello there.");
    s.tts->speak(2, "How are you?");
    s.tts->speak(3, "  ");  // nothing to say: done without a request
    ASSERT_TRUE(s.runUntil([&] { return s.done.size() == 3; }));
    EXPECT_EQ(s.done, (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(s.samplesOf(1), 4800u) << "300 ms at 16 kHz";
    EXPECT_EQ(s.samplesOf(2), 4800u);
    auto reqs = fake.seen();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].path, "/v1/audio/speech");
    EXPECT_EQ(reqs[0].header("authorization"), "Bearer sk-secret");
    EXPECT_TRUE(std::string(reqs[0].header("content-type")).starts_with("application/json"));
    EXPECT_EQ(json::parse(reqs[0].body), json::parse(R"({"model":"tts-1-hd","input":"Hello there.","voice":"shimmer",
        "response_format":"pcm","speed":1.5})"));
    EXPECT_EQ(json::parse(reqs[1].body).at("input"), "How are you?");
    EXPECT_TRUE(s.failures.empty());
}

TEST(OpenAiTtsSession, FailuresCarryTheirCause) {
    auto failure = [](int status, std::string body, std::string type) {
        FakeOpenAi fake;
        fake.status = status;
        fake.body = std::move(body);
        fake.contentType = std::move(type);
        Tts s(fake.url(), obj(R"({"provider":"openai","voiceId":"alloy"})"));
        s.tts->speak(1, "Hello there.");
        s.tts->speak(2, "And more.");
        EXPECT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
        EXPECT_TRUE(s.done.empty());
        EXPECT_EQ(fake.seen().size(), 1u) << "the queued utterance is not asked for";
        if (s.failures.empty()) return ProviderError{};
        EXPECT_EQ(s.failures[0].message.find("sk-secret"), std::string::npos);
        return s.failures[0];
    };
    EXPECT_EQ(failure(401, R"({"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}})",
                      "application/json").cause, FailureCause::Unauthorized);
    EXPECT_EQ(failure(404, R"({"error":{"message":"The model does not exist"}})", "application/json").cause,
              FailureCause::NotFound);
    EXPECT_EQ(failure(500, "{}", "application/json").cause, FailureCause::ServerError);
    EXPECT_EQ(failure(200, "<html><body>502 Bad Gateway</body></html>", "text/html").cause, FailureCause::BadMessage);
    EXPECT_EQ(failure(200, "", "application/octet-stream").cause, FailureCause::BadMessage) << "a 200 without audio";
}

}  // namespace
}  // namespace voxa::providers::openai

#include "providers/openai/openai_stt.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <random>

#include "audio/wav.h"
#include "common/json_fields.h"
#include "net/http_client.h"
#include "net/read_time.h"
#include "providers/endpoints.h"
#include "providers/openai/openai_llm.h"
#include "providers/streaming.h"

namespace voxa::providers::openai {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using json_fields::str;

constexpr const char* kDefaultUrl = "https://api.openai.com/v1";
constexpr size_t kMaxUtteranceSamples = size_t{kMaxTranscriptionSeconds} * audio::kRate;
/// OpenAI refuses audio shorter than 0.1 s ("audio_too_short").
constexpr size_t kMinSamples = audio::kRate / 10;
/// Audio waiting for its request while an earlier one is in flight; beyond it the oldest
/// waiting utterances are dropped (each still gets its, empty, final).
constexpr size_t kMaxWaitingSamples = 2 * kMaxUtteranceSamples;
/// A plain JSON answer, or an error body, kept at most.
constexpr size_t kMaxJsonBytes = 1024 * 1024;

struct State : std::enable_shared_from_this<State> {
    SttCallbacks cb;
    Context ctx;
    TranscriptionSettings settings;
    audio::Samples current;               // the utterance being heard
    std::deque<audio::Samples> waiting;   // cut utterances, in order, for their request
    size_t waitingSamples = 0;
    std::shared_ptr<net::CancelToken> inflight;
    bool running = false;
    bool closed = false;  // close(): no callback fires any more
    bool failed = false;  // onError was delivered

    bool live() const { return !closed && !failed; }

    void fail(FailureCause cause, std::string message) {
        if (!live()) return;
        failed = true;
        waiting.clear();
        current.clear();
        if (inflight) inflight->cancel();
        spdlog::warn(json::serialize(json::object{{"msg", "openai transcriber failed"}, {"call", ctx.callId},
                                                  {"cause", toString(cause)}, {"detail", printable(message, 300)}}));
        if (cb.onError) cb.onError(ProviderError{cause, std::move(message), true});
    }

    /// OpenAI gives no confidence (only logprobs, when asked): a final counts as sure.
    void transcript(std::string text, bool isFinal) {
        if (live() && cb.onTranscript) cb.onTranscript(Transcript{std::move(text), isFinal, isFinal ? 1.0 : 0.0});
    }

    /// Ends the current utterance: it waits for its request (and its final).
    void cut();
    void start();
};

asio::awaitable<void> transcribe(std::shared_ptr<State> st, audio::Samples pcm) {
    std::string key = apiKey(st->ctx, "openai");
    if (key.empty()) {
        st->fail(FailureCause::MissingKey, "no OpenAI API key");
        co_return;
    }
    std::string wav;
    try {
        wav = audio::encodeWav(pcm, audio::kRate);
    } catch (const std::exception& e) {
        st->fail(FailureCause::Other, std::string("cannot encode the utterance: ") + e.what());
        co_return;
    }
    auto ep = endpoint("openai", st->ctx, kDefaultUrl);
    std::string boundary = makeBoundary();
    net::HttpClientRequest req;
    req.method = "POST";
    req.url = audioUrl(ep.url, "/audio/transcriptions");
    req.headers = {{"Authorization", "Bearer " + key},
                   {"Content-Type", "multipart/form-data; boundary=" + boundary},
                   {"Accept", st->settings.stream ? "text/event-stream" : "application/json"}};
    req.body = transcriptionBody(st->settings, wav, boundary);
    wav.clear();
    req.source = ep.source;
    req.connectTimeout = 10s;
    req.readTimeout = kTranscriptionTimeout;
    req.maxBufferedBody = kMaxJsonBytes;
    std::string url = req.url;

    auto token = std::make_shared<net::CancelToken>();
    st->inflight = token;
    TranscriptionDecoder decoder;
    std::vector<TranscriptionDecoder::Update> updates;
    bool gotBytes = false, bad = false, delivered = false;
    auto deliver = [&] {
        for (auto& u : updates) {
            if (delivered) break;
            if (u.partial && !u.partial->empty()) st->transcript(*u.partial, false);
            if (u.final) {
                delivered = true;
                st->transcript(*u.final, true);
            }
        }
        updates.clear();
    };
    net::ReadScope::time_point lastRead{};  // a JSON answer's final comes after fetch(): timed from its last read
    auto onChunk = [&](std::string_view bytes) {
        if (!st->live() || bad || delivered) return;
        gotBytes = true;
        lastRead = net::readTime();
        if (!decoder.feed(bytes, updates)) bad = true;
        deliver();
        if (bad || delivered) token->cancel();  // nothing more is needed from this answer
    };
    auto r = co_await net::fetch(std::move(req), onChunk, token);
    if (st->inflight == token) st->inflight.reset();
    if (!st->live() || delivered) co_return;
    if (bad) {
        st->fail(FailureCause::BadMessage, "not a transcription from " + url + ": " + decoder.error());
        co_return;
    }
    if (!r.success()) {
        std::string why = !r.ok() ? std::string(net::toString(r.errorKind)) + ": " + r.error + " (" + url + ")"
                                  : describeHttpError(r.status, r.body, url);
        st->fail(httpFailure(r, gotBytes), "transcription request failed: " + why);
        co_return;
    }
    if (!decoder.finish(updates)) {
        st->fail(FailureCause::BadMessage, "not a transcription from " + url + ": " + decoder.error());
        co_return;
    }
    {
        net::ReadScope read(lastRead);
        deliver();
    }
    if (!delivered) st->fail(FailureCause::BadMessage, "no transcript in the answer from " + url);
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    while (st->live() && !st->waiting.empty()) {
        audio::Samples pcm = std::move(st->waiting.front());
        st->waiting.pop_front();
        st->waitingSamples -= std::min(st->waitingSamples, pcm.size());
        if (pcm.size() < kMinSamples) {
            st->transcript("", true);  // nothing OpenAI would take: nothing heard
            continue;
        }
        co_await transcribe(st, std::move(pcm));
    }
    st->running = false;
}

void State::cut() {
    waitingSamples += current.size();
    waiting.push_back(std::move(current));
    current = {};
    // A provider slower than speech: the oldest waiting audio goes (its final is empty).
    for (auto& w : waiting) {
        if (waitingSamples <= kMaxWaitingSamples) break;
        if (w.empty()) continue;
        spdlog::warn(json::serialize(json::object{{"msg", "openai transcriber behind, utterance dropped"},
                                                  {"call", ctx.callId}, {"seconds", double(w.size()) / audio::kRate}}));
        waitingSamples -= w.size();
        w = {};
    }
    start();
}

void State::start() {
    if (running || !live()) return;
    running = true;
    asio::co_spawn(ctx.executor, run(shared_from_this()), asio::detached);
}

class Session final : public SttSession {
public:
    Session(const json::object& config, const Context& ctx, SttCallbacks cb) : st_(std::make_shared<State>()) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        st_->settings = transcriptionSettings(config);
    }
    ~Session() override { close(); }

    void sendAudio(std::span<const int16_t> pcm) override {
        auto& st = *st_;
        if (!st.live() || pcm.empty()) return;
        while (!pcm.empty()) {
            size_t room = kMaxUtteranceSamples - st.current.size();
            size_t n = std::min(room, pcm.size());
            st.current.insert(st.current.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(n));
            pcm = pcm.subspan(n);
            if (st.current.size() >= kMaxUtteranceSamples) st.cut();  // a long turn: send what we have
        }
    }

    void finalize() override {
        if (st_->live()) st_->cut();
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        // The callbacks stay (one of them may be closing the session); `closed` silences them.
        st.closed = true;
        st.waiting.clear();
        if (st.inflight) st.inflight->cancel();
    }

private:
    std::shared_ptr<State> st_;
};

class Provider final : public SttProvider {
public:
    std::unique_ptr<SttSession> open(const json::object& config, const Context& ctx, SttCallbacks cb) override {
        return std::make_unique<Session>(config, ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<SttProvider> makeSttProvider() { return std::make_shared<Provider>(); }

TranscriptionSettings transcriptionSettings(const json::object& config) {
    TranscriptionSettings s;
    if (auto m = str(config, "model"); !m.empty()) s.model = m;
    s.language = str(config, "language");
    // whisper-1 has no streaming (OpenAI ignores stream=true for it).
    s.stream = s.model != "whisper-1";
    return s;
}

std::string audioUrl(std::string_view base, std::string_view path) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    if (base.ends_with(path)) return std::string(base);
    return std::string(base) + std::string(path);
}

std::string transcriptionBody(const TranscriptionSettings& s, std::string_view wav, std::string_view boundary) {
    std::string b;
    b.reserve(wav.size() + 1024);
    auto field = [&](std::string_view name, std::string_view value) {
        b.append("--").append(boundary).append("\r\n");
        b.append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n");
        b.append(value).append("\r\n");
    };
    b.append("--").append(boundary).append("\r\n");
    b.append("Content-Disposition: form-data; name=\"file\"; filename=\"utterance.wav\"\r\n");
    b.append("Content-Type: audio/wav\r\n\r\n");
    b.append(wav).append("\r\n");
    field("model", s.model);
    if (!s.language.empty()) field("language", s.language);
    field("response_format", "json");
    if (s.stream) field("stream", "true");
    b.append("--").append(boundary).append("--\r\n");
    return b;
}

std::string makeBoundary() {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
    // 32 random characters after a fixed prefix: the chance that a WAV holds it is nil.
    std::string out = "----VoxaFormBoundary";
    for (int i = 0; i < 32; ++i) out += kAlphabet[pick(rng)];
    return out;
}

// ---- TranscriptionDecoder ----------------------------------------------------------------

bool TranscriptionDecoder::feed(std::string_view bytes, std::vector<Update>& out) {
    if (!error_.empty()) return false;
    if (kind_ == Kind::Unknown) {
        size_t i = 0;
        while (i < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[i]))) ++i;
        if (i == bytes.size()) return true;  // only whitespace so far
        char c = bytes[i];
        if (c == '{') {
            kind_ = Kind::Json;
        } else if (c == 'd' || c == 'e' || c == ':' || c == 'i' || c == 'r') {  // data: event: id: retry: comments
            kind_ = Kind::Sse;
        } else {
            error_ = "neither JSON nor server-sent events: " + printable(bytes.substr(i), 80);
            return false;
        }
    }
    if (kind_ == Kind::Json) {
        if (json_.size() + bytes.size() > kMaxJsonBytes) {
            error_ = "answer larger than " + std::to_string(kMaxJsonBytes) + " bytes";
            return false;
        }
        json_.append(bytes);
        return true;
    }
    if (!sse_.feed(bytes, events_)) {
        error_ = "an event larger than the limit";
        return false;
    }
    for (auto& e : events_)
        if (!onEvent(e.data, out)) break;
    events_.clear();
    return error_.empty();
}

bool TranscriptionDecoder::onEvent(std::string_view data, std::vector<Update>& out) {
    if (done_ || data.empty() || data == "[DONE]") return true;
    sawEvent_ = true;
    boost::system::error_code ec;
    auto v = json::parse(data, ec);
    if (ec || !v.is_object()) {
        error_ = "an event that is not JSON: " + printable(data, 80);
        return false;
    }
    auto& o = v.get_object();
    if (auto* e = o.if_contains("error"); e && !e->is_null()) {
        error_ = "error event: " + printable(e->is_object() ? str(e->get_object(), "message") : json::serialize(*e), 200);
        return false;
    }
    std::string type = str(o, "type");
    if (type == "transcript.text.delta") {
        text_ += str(o, "delta");
        out.push_back(Update{text_, std::nullopt});
    } else if (type == "transcript.text.done") {
        done_ = true;
        auto* t = o.if_contains("text");
        out.push_back(Update{std::nullopt, t && t->is_string() ? std::string(t->get_string()) : text_});
    } else if (type.empty()) {
        error_ = "an event without a type: " + printable(data, 80);
        return false;
    }
    // Other types (transcript.text.segment, ...) carry nothing Voxa uses.
    return true;
}

bool TranscriptionDecoder::finish(std::vector<Update>& out) {
    if (!error_.empty()) return false;
    if (kind_ == Kind::Sse) {
        sse_.finish(events_);
        for (auto& e : events_)
            if (!onEvent(e.data, out)) break;
        events_.clear();
        if (!error_.empty()) return false;
        if (!done_) {
            if (!sawEvent_) {
                error_ = "a stream without events";
                return false;
            }
            done_ = true;
            out.push_back(Update{std::nullopt, text_});  // ended without its done event: what was said so far
        }
        return true;
    }
    if (kind_ == Kind::Unknown) {
        error_ = "an empty answer";
        return false;
    }
    boost::system::error_code ec;
    auto v = json::parse(json_, ec);
    if (ec || !v.is_object()) {
        error_ = "an answer that is not JSON: " + printable(json_, 80);
        return false;
    }
    auto& o = v.get_object();
    auto* t = o.if_contains("text");
    if (!t || !t->is_string()) {
        error_ = "an answer without text: " + printable(json_, 80);
        return false;
    }
    done_ = true;
    out.push_back(Update{std::nullopt, std::string(t->get_string())});
    return true;
}

}  // namespace voxa::providers::openai

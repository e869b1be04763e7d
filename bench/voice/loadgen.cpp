// Voice load generator: N concurrent calls over WebSocket, each streaming real-time audio
// (20 ms frames paced by the clock) through a scripted conversation, measuring what a caller
// would notice. Against Voxa (POST /call + Vapi's WebSocket transport) or any server that
// speaks the same raw-PCM WebSocket protocol (bench/peer/livekit/bridge.mjs).
//
//   build/bench/loadgen --target voxa --url http://127.0.0.1:8080 --key K --calls 100 \
//       --utterance /tmp/utt.wav --pid $(pgrep -n voxa) --json out.json
//   build/bench/loadgen --target ws --ws ws://127.0.0.1:9000/ --calls 100 ...
//
// The script of each call (after all calls are connected and idle, streaming silence):
//   1. says the utterance; waits for the whole reply     -> turn latency sample
//   2. says it again; 1 s into the reply talks over it   -> turn latency + barge-in samples,
//      then hears the reply to the talk-over              -> turn latency sample
//   3. says it once more after that reply ends           -> turn latency sample; hangs up
// Providers are the deterministic "bench" ones (src/providers/bench/bench.h) with the
// delays given here, so the framework's own cost is what is left:
//   overhead = (first reply frame received - last voiced frame sent)
//              - (vad wait + stt + llm first token + gaps to the first sentence end + tts)
// Outbound pacing: within a reply, frame k should arrive at first + 20 ms * k; its
// lateness is the jitter, and a frame later than --underrun-ms is an underrun (a client
// with that much buffer would have run dry). Barge-in: talk-over onset sent -> the last
// assistant frame received. CPU and RSS are read from /proc/<pid> of the server.
//
// Long calls (--call-seconds S): each call repeats the script, 5 s of line noise between
// rounds, until it is S seconds old, and the server's RSS per active call is sampled every
// --sample-seconds (printed to stderr as it goes, and as "rssTimeline" in the JSON): what a
// call costs in memory as it gets longer.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "audio/audio.h"
#include "audio/wav.h"
#include "net/http_client.h"
#include "net/websocket.h"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace voxa;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
    std::string target = "voxa";  // voxa | ws
    std::string label;
    std::string url = "http://127.0.0.1:8080", key, ws;
    int calls = 10;
    int threads = 1;
    int connectConcurrency = 32;
    int pid = 0;
    std::string utterance, jsonOut, assistantFile;
    double sttMs = 100, llmMs = 200, gapMs = 10, ttsMs = 100, msPerWord = 300;
    double vadWaitMs = 360;  // effective VAD stop wait of the target (see RESULTS.md)
    double underrunMs = 40;
    double talkOverAfterMs = 1000;
    bool verbose = false;
    bool recording = true;  // artifactPlan.recordingEnabled (Vapi's default: on)
    double callSeconds = 0;    // > 0: repeat the script until the call is this old
    double sampleSeconds = 30; // RSS timeline step (long calls)
    std::string reply = "Sure, I can help with that. What day works best for you?";
    std::string transcript = "I would like to book an appointment.";
};

double msSince(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// ---- the conversation of one call ---------------------------------------------------------

struct Metrics {
    std::vector<double> turnMs, overheadMs, bargeInMs, jitterMs;
    int64_t textIn = 0, textBytes = 0;
    int64_t underruns = 0, framesIn = 0, framesOut = 0, repliesMissing = 0, bargeInsMissed = 0;
    int callsFailed = 0, callsDone = 0;
    void merge(const Metrics& o) {
        auto cat = [](auto& a, const auto& b) { a.insert(a.end(), b.begin(), b.end()); };
        cat(turnMs, o.turnMs);
        cat(overheadMs, o.overheadMs);
        cat(bargeInMs, o.bargeInMs);
        cat(jitterMs, o.jitterMs);
        underruns += o.underruns;
        textIn += o.textIn;
        textBytes += o.textBytes;
        framesIn += o.framesIn;
        framesOut += o.framesOut;
        repliesMissing += o.repliesMissing;
        bargeInsMissed += o.bargeInsMissed;
        callsFailed += o.callsFailed;
        callsDone += o.callsDone;
    }
};

struct Shared {
    const Config& cfg;
    std::atomic<int>* active;            // calls connected and not done (the RSS timeline)
    std::vector<std::string> utterance;  // 20 ms frames, as bytes
    std::vector<std::string> silence;    // the line between utterances: -70 dBFS noise
    double expectedMs = 0;               // vad wait + configured delays
};

class Call {
public:
    enum class Phase { Connecting, Idle, Speaking, AwaitReply, InReply, Pause, Done };

    Call(const Shared& sh, Metrics& m, int index) : sh_(sh), m_(m), index_(index) {}

    void start(std::shared_ptr<net::WsConnection> ws, Clock::time_point firstTurnAt) {
        ws_ = std::move(ws);
        phase_ = Phase::Idle;
        at_ = firstTurnAt;
        endAt_ = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(sh_.cfg.callSeconds * 1000));
        ++*sh_.active;
    }
    bool finished() const { return phase_ == Phase::Done; }
    std::shared_ptr<net::WsConnection> ws() const { return ws_; }

    // Every 20 ms on this call's slot: one frame out, and the script's timers.
    void tick(Clock::time_point now) {
        if (!ws_ || phase_ == Phase::Done || phase_ == Phase::Connecting) return;
        if (!ws_->isOpen()) return fail();
        checkReplyEnd(now);
        if (phase_ == Phase::Done) return;
        if ((phase_ == Phase::Idle || phase_ == Phase::Pause) && now >= at_) beginUtterance(now);
        if (speaking_) {
            if (uttPos_ == 0) onsetSent_ = now;
            ws_->send(sh_.utterance[uttPos_], true);
            if (++uttPos_ == sh_.utterance.size()) {
                speaking_ = false;
                lastVoicedSent_ = now;
                phase_ = Phase::AwaitReply;
                replyFrames_ = 0;
                deadline_ = now + std::chrono::seconds(10);
            }
        } else {
            ws_->send(sh_.silence[silencePos_++ % sh_.silence.size()], true);
        }
        ++m_.framesOut;
        if (phase_ == Phase::AwaitReply && now > deadline_) {
            ++m_.repliesMissing;
            nextTurn(now);
        }
    }

    void onFrame(Clock::time_point now) {
        ++m_.framesIn;
        if (runFrames_ == 0 || msSince(lastFrame_, now) > 100) {
            runStart_ = now;  // a new run of assistant audio
            runFrames_ = 0;
        }
        double lateness = msSince(runStart_, now) - 20.0 * double(runFrames_);
        m_.jitterMs.push_back(std::abs(lateness));
        if (lateness > sh_.cfg.underrunMs) {
            ++m_.underruns;
            if (sh_.cfg.verbose)
                std::cerr << "late " << lateness << " ms at "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()
                          << " call " << index_ << " turn " << turn_ << "\n";
        }
        ++runFrames_;
        lastFrame_ = now;
        if (phase_ == Phase::AwaitReply) {
            double turn = msSince(lastVoicedSent_, now);
            m_.turnMs.push_back(turn);
            m_.overheadMs.push_back(turn - sh_.expectedMs);
            if (sh_.cfg.verbose)
                std::cerr << "call " << index_ << " turn " << turn_ << ": " << turn << " ms at "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() << "\n";
            phase_ = Phase::InReply;
            replyFrames_ = 0;
        }
        if (phase_ == Phase::InReply) ++replyFrames_;
    }

private:
    void beginUtterance(Clock::time_point) {
        speaking_ = true;
        uttPos_ = 0;
        phase_ = Phase::Speaking;
    }
    // The reply ends when no frame came for 120 ms. Turn 2 talks over the reply.
    void checkReplyEnd(Clock::time_point now) {
        if (phase_ == Phase::InReply && turn_ == 1 && !talkedOver_ &&
            replyFrames_ * 20.0 >= sh_.cfg.talkOverAfterMs) {
            talkedOver_ = true;
            bargeInPending_ = true;
            beginUtterance(now);
            phase_ = Phase::InReply;  // still hearing the reply while talking over it
            return;
        }
        if (bargeInPending_ && msSince(lastFrame_, now) > 120 && msSince(onsetSent_, now) > 0) {
            bargeInPending_ = false;
            double stop = msSince(onsetSent_, lastFrame_);
            if (sh_.cfg.verbose) std::cerr << "call " << index_ << " barge-in stop " << stop << " ms\n";
            if (stop >= 0) m_.bargeInMs.push_back(stop);
            else ++m_.bargeInsMissed;
        }
        if (speaking_ && !bargeInPending_ && phase_ == Phase::InReply) {
            // Talking over: the reply has stopped; the utterance goes on (tick sends it).
            return;
        }
        if (phase_ == Phase::InReply && !speaking_ && msSince(lastFrame_, now) > 120) nextTurn(now);
    }
    void nextTurn(Clock::time_point now) {
        ++turn_;
        if (turn_ >= 3 && sh_.cfg.callSeconds > 0 && now < endAt_) {  // a long call: again
            turn_ = 0;
            talkedOver_ = false;
            phase_ = Phase::Pause;
            at_ = now + std::chrono::seconds(5);
            return;
        }
        if (turn_ >= 3) {
            phase_ = Phase::Done;
            ++m_.callsDone;
            --*sh_.active;
            ws_->close();
            return;
        }
        phase_ = Phase::Pause;
        at_ = now + std::chrono::milliseconds(600);
    }
    void fail() {
        if (phase_ != Phase::Done) {
            ++m_.callsFailed;
            --*sh_.active;
        }
        phase_ = Phase::Done;
    }

    const Shared& sh_;
    Metrics& m_;
    int index_;
    std::shared_ptr<net::WsConnection> ws_;
    Phase phase_ = Phase::Connecting;
    Clock::time_point at_, deadline_, lastVoicedSent_, onsetSent_, runStart_, lastFrame_, endAt_;
    size_t uttPos_ = 0, silencePos_ = 0;
    bool speaking_ = false, talkedOver_ = false, bargeInPending_ = false;
    int turn_ = 0;
    int64_t replyFrames_ = 0, runFrames_ = 0;
};

// ---- one worker thread: its calls, a 1 ms wheel of 20 slots ------------------------------

class Worker {
public:
    Worker(const Shared& sh, int first, int count) : sh_(sh), first_(first) {
        for (int i = 0; i < count; ++i) calls_.push_back(std::make_unique<Call>(sh, m_, first + i));
    }
    Metrics& metrics() { return m_; }
    asio::io_context& io() { return io_; }
    std::atomic<int> connected{0}, failed{0};
    std::atomic<bool> allDone{false};

    // Connects every call (a few at a time), then runs the wheel until all calls are done.
    void run(Clock::time_point turnsFrom, std::atomic<int>& globalConnected) {
        asio::co_spawn(io_, connectAll(turnsFrom, globalConnected), asio::detached);
        asio::co_spawn(io_, wheel(), asio::detached);
        io_.run();
    }

private:
    asio::awaitable<void> connectAll(Clock::time_point turnsFrom, std::atomic<int>& globalConnected) {
        auto ex = co_await asio::this_coro::executor;
        int next = 0, inFlight = 0;
        asio::steady_timer t(ex);
        std::mt19937 rng(static_cast<unsigned>(first_ + 17));
        while (next < static_cast<int>(calls_.size()) || inFlight > 0) {
            while (inFlight < sh_.cfg.connectConcurrency && next < static_cast<int>(calls_.size())) {
                ++inFlight;
                // First turns spread over 3 s after the ramp, so calls are not in lockstep.
                auto first = turnsFrom + std::chrono::milliseconds(rng() % 3000);
                asio::co_spawn(ex, connectOne(calls_[static_cast<size_t>(next)].get(), first,
                                              &inFlight, &globalConnected),
                               asio::detached);
                ++next;
            }
            t.expires_after(std::chrono::milliseconds(2));
            co_await t.async_wait(asio::use_awaitable);
        }
    }

    asio::awaitable<void> connectOne(Call* call, Clock::time_point first, int* inFlight,
                                     std::atomic<int>* globalConnected) {
        std::string wsUrl = sh_.cfg.ws;
        if (sh_.cfg.target == "voxa") {
            // The server under test, named on the command line: not held to the egress policy.
            net::HttpClientRequest req{.method = "POST", .url = sh_.cfg.url + "/call",
                                       .source = net::UrlSource::Operator};
            req.headers.push_back({"Authorization", "Bearer " + sh_.cfg.key});
            req.headers.push_back({"Content-Type", "application/json"});
            req.body = callBody();
            auto res = co_await net::fetch(std::move(req));
            if (!res.success()) {
                std::cerr << "POST /call: " << (res.ok() ? res.body : res.error) << "\n";
                ++failed;
                --*inFlight;
                co_return;
            }
            auto v = json::parse(res.body);
            wsUrl = std::string(v.at("transport").at("websocketCallUrl").as_string());
        }
        auto ws = co_await net::connectWebSocket(wsUrl, {}, net::UrlSource::Operator);
        --*inFlight;
        if (!ws) {
            ++failed;
            co_return;
        }
        call->start(ws, first);
        ++connected;
        ++*globalConnected;
        asio::co_spawn(io_, reader(call, ws), asio::detached);
    }

    std::string callBody() const {
        const auto& c = sh_.cfg;
        json::object assistant;
        if (!c.assistantFile.empty()) {
            std::ifstream f(c.assistantFile);
            std::stringstream ss;
            ss << f.rdbuf();
            assistant = json::parse(ss.str()).as_object();
        } else {
            assistant = json::object{
                {"transcriber", {{"provider", "bench"}, {"text", c.transcript}, {"delayMs", c.sttMs}}},
                {"model", {{"provider", "bench"}, {"reply", c.reply}, {"firstTokenMs", c.llmMs},
                           {"tokenGapMs", c.gapMs}}},
                {"voice", {{"provider", "bench"}, {"firstByteMs", c.ttsMs}, {"msPerWord", c.msPerWord}}},
                {"firstMessageMode", "assistant-waits-for-user"},
                {"startSpeakingPlan", {{"waitSeconds", 0},
                                       {"transcriptionEndpointingPlan",
                                        {{"onPunctuationSeconds", 0}, {"onNoPunctuationSeconds", 0},
                                         {"onNumberSeconds", 0}}}}},
                {"stopSpeakingPlan", {{"voiceSeconds", 0.2}, {"backoffSeconds", 1}}},
                {"maxDurationSeconds", std::max(600.0, c.callSeconds + 120)},
                {"artifactPlan", {{"recordingEnabled", c.recording}}}};
        }
        json::object body{{"assistant", assistant},
                          {"transport", {{"provider", "vapi.websocket"},
                                         {"audioFormat", {{"format", "pcm_s16le"}, {"container", "raw"},
                                                          {"sampleRate", audio::kRate}}}}}};
        return json::serialize(body);
    }

    asio::awaitable<void> reader(Call* call, std::shared_ptr<net::WsConnection> ws) {
        while (auto m = co_await ws->read()) {
            if (m->binary) call->onFrame(Clock::now());
            else {
                ++m_.textIn;
                m_.textBytes += static_cast<int64_t>(m->data.size());
            }
        }
    }

    // One timer at 1 ms steps; call i sends on slot i % 20, so 1/20 of the calls each ms.
    asio::awaitable<void> wheel() {
        asio::steady_timer t(io_);
        auto next = Clock::now();
        uint64_t step = 0;
        for (;;) {
            next += std::chrono::milliseconds(1);
            t.expires_at(next);
            co_await t.async_wait(asio::use_awaitable);
            auto now = Clock::now();
            // Starved (a busy machine) for more than 100 ms: resume from now instead of
            // catching up in a burst, which the server's real-time gate would drop, and
            // which over a long call ends it (audio faster than real time).
            if (now - next > std::chrono::milliseconds(100)) next = now;
            size_t slot = step++ % 20;
            bool all = failed + connected == static_cast<int>(calls_.size());
            for (size_t i = slot; i < calls_.size(); i += 20) {
                calls_[i]->tick(now);
                if (!calls_[i]->finished()) all = false;
            }
            if (slot == 19 && all && allDoneCheck()) break;
        }
        for (auto& c : calls_)
            if (auto ws = c->ws(); ws && ws->isOpen()) ws->close();
        allDone = true;
    }
    bool allDoneCheck() {
        for (auto& c : calls_)
            if (!c->finished() && c->ws() && c->ws()->isOpen()) return false;
        return true;
    }

    const Shared& sh_;
    int first_;
    asio::io_context io_{1};
    std::vector<std::unique_ptr<Call>> calls_;
    Metrics m_;
};

// ---- /proc sampling ------------------------------------------------------------------------

struct ProcSample {
    double cpuSec = 0;
    double rssMb = 0;
};

ProcSample sampleProc(int pid) {
    ProcSample s;
    if (pid <= 0) return s;
    std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(st, line);
    auto close = line.rfind(')');
    if (close != std::string::npos) {
        std::istringstream in(line.substr(close + 2));
        std::string f;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && in >> f; ++i) {
            if (i == 14) utime = std::stoull(f);
            if (i == 15) stime = std::stoull(f);
        }
        s.cpuSec = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) s.rssMb = std::stod(line.substr(6)) / 1024.0;
    return s;
}

double selfCpuSec() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    auto i = static_cast<size_t>(std::ceil(p / 100.0 * double(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
}

int tokensToFirstSentenceEnd(const std::string& reply) {
    int n = 0;
    bool in = false;
    for (size_t i = 0; i < reply.size(); ++i) {
        bool w = !std::isspace(static_cast<unsigned char>(reply[i]));
        if (w && !in) ++n;
        in = w;
        char c = reply[i];
        if ((c == '.' || c == '!' || c == '?') &&
            (i + 1 == reply.size() || std::isspace(static_cast<unsigned char>(reply[i + 1]))))
            return n;
    }
    return n;
}

std::vector<std::string> loadUtterance(const std::string& path) {
    audio::Samples pcm = audio::readWav(path, audio::kRate);
    const size_t F = audio::kFrameSamples;
    std::vector<double> rms;
    for (size_t off = 0; off + F <= pcm.size(); off += F) {
        double e = 0;
        for (size_t i = 0; i < F; ++i) e += double(pcm[off + i]) * pcm[off + i];
        rms.push_back(std::sqrt(e / F));
    }
    double peak = rms.empty() ? 0 : *std::max_element(rms.begin(), rms.end());
    // Trim to the first and last frames within 20 dB of the peak: the utterance then starts
    // and ends on voice, so "last voiced frame sent" is the last frame.
    size_t a = 0, b = rms.size();
    while (a < b && rms[a] < peak * 0.1) ++a;
    while (b > a && rms[b - 1] < peak * 0.1) --b;
    std::vector<std::string> frames;
    for (size_t k = a; k < b; ++k) {
        std::string bytes(F * 2, '\0');
        std::memcpy(bytes.data(), pcm.data() + k * F, bytes.size());
        frames.push_back(std::move(bytes));
    }
    return frames;
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--target") c.target = val();
        else if (a == "--label") c.label = val();
        else if (a == "--url") c.url = val();
        else if (a == "--key") c.key = val();
        else if (a == "--ws") c.ws = val();
        else if (a == "--calls") c.calls = std::stoi(val());
        else if (a == "--threads") c.threads = std::stoi(val());
        else if (a == "--pid") c.pid = std::stoi(val());
        else if (a == "--utterance") c.utterance = val();
        else if (a == "--json") c.jsonOut = val();
        else if (a == "--assistant") c.assistantFile = val();
        else if (a == "--stt-ms") c.sttMs = std::stod(val());
        else if (a == "--llm-ms") c.llmMs = std::stod(val());
        else if (a == "--gap-ms") c.gapMs = std::stod(val());
        else if (a == "--tts-ms") c.ttsMs = std::stod(val());
        else if (a == "--ms-per-word") c.msPerWord = std::stod(val());
        else if (a == "--vad-wait-ms") c.vadWaitMs = std::stod(val());
        else if (a == "--underrun-ms") c.underrunMs = std::stod(val());
        else if (a == "--reply") c.reply = val();
        else if (a == "--verbose") c.verbose = true;
        else if (a == "--no-recording") c.recording = false;
        else if (a == "--transcript") c.transcript = val();
        else if (a == "--call-seconds") c.callSeconds = std::stod(val());
        else if (a == "--sample-seconds") c.sampleSeconds = std::stod(val());
        else {
            std::cerr << "unknown option " << a << "\n";
            return 2;
        }
    }
    if (c.utterance.empty()) {
        std::cerr << "--utterance WAV is required\n";
        return 2;
    }
    if (c.label.empty()) c.label = c.target;
    std::atomic<int> active{0};
    Shared sh{c, &active, loadUtterance(c.utterance), {}};
    // A phone line is never digitally silent: uniform noise of RMS ~10 (-70 dBFS).
    std::mt19937 noise(7);
    for (int k = 0; k < 50; ++k) {
        std::string bytes(audio::kFrameSamples * 2, '\0');
        for (int i = 0; i < audio::kFrameSamples; ++i) {
            auto v = static_cast<int16_t>(static_cast<int>(noise() % 35) - 17);
            std::memcpy(bytes.data() + 2 * i, &v, 2);
        }
        sh.silence.push_back(std::move(bytes));
    }
    int tokens = tokensToFirstSentenceEnd(c.reply);
    sh.expectedMs = c.vadWaitMs + c.sttMs + c.llmMs + std::max(0, tokens - 1) * c.gapMs + c.ttsMs;

    ProcSample base = sampleProc(c.pid);
    auto t0 = Clock::now();
    // Turns start once every call is connected (estimated: 2 ms per call, at least 2 s).
    auto turnsFrom = t0 + std::chrono::milliseconds(std::max(2000, c.calls * 4));
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<int> connected{0};
    int per = (c.calls + c.threads - 1) / c.threads;
    for (int t = 0, first = 0; t < c.threads && first < c.calls; ++t, first += per)
        workers.push_back(std::make_unique<Worker>(sh, first, std::min(per, c.calls - first)));
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w, turnsFrom, &connected] { w->run(turnsFrom, connected); });

    // Sample the server while the calls are idle (all connected, before the first turn),
    // then through the turns.
    std::this_thread::sleep_until(turnsFrom - std::chrono::milliseconds(200));
    ProcSample idle = sampleProc(c.pid);
    int idleCalls = connected.load();
    double peakRss = idle.rssMb;
    ProcSample turnsStart = sampleProc(c.pid);
    auto turnsStartAt = Clock::now();
    double selfTurnsStart = selfCpuSec();
    json::array timeline;  // [seconds since the turns began, active calls, RSS MB, (RSS - base) per active call MB]
    auto nextSample = turnsStartAt;
    for (;;) {
        bool done = true;
        for (auto& w : workers) done = done && w->allDone;
        if (done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        ProcSample now = sampleProc(c.pid);
        peakRss = std::max(peakRss, now.rssMb);
        if (c.callSeconds > 0 && Clock::now() >= nextSample) {
            nextSample += std::chrono::milliseconds(static_cast<int64_t>(c.sampleSeconds * 1000));
            int n = active.load();
            double t = msSince(turnsStartAt, Clock::now()) / 1000.0;
            double perCall = n > 0 ? (now.rssMb - base.rssMb) / n : 0.0;
            timeline.push_back(json::array{std::round(t), n, std::round(now.rssMb * 10) / 10,
                                           std::round(perCall * 1000) / 1000});
            std::cerr << "  t=" << std::round(t) << " s: " << n << " calls, RSS " << now.rssMb << " MB, "
                      << perCall << " MB per call\n";
        }
    }
    ProcSample end = sampleProc(c.pid);
    double wall = msSince(turnsStartAt, Clock::now()) / 1000.0;
    double selfCpu = selfCpuSec() - selfTurnsStart;
    for (auto& t : threads) t.join();

    Metrics m;
    for (auto& w : workers) m.merge(w->metrics());
    int failed = 0;
    for (auto& w : workers) failed += w->failed;

    json::object r{
        {"label", c.label},
        {"target", c.target},
        {"calls", c.calls},
        {"connected", idleCalls},
        {"connectFailed", failed},
        {"callsCompleted", m.callsDone},
        {"callsDropped", m.callsFailed},
        {"turns", m.turnMs.size()},
        {"repliesMissing", m.repliesMissing},
        {"expectedMs", sh.expectedMs},
        {"turnMs", {{"p50", pct(m.turnMs, 50)}, {"p95", pct(m.turnMs, 95)}, {"p99", pct(m.turnMs, 99)}}},
        {"overheadMs", {{"p50", pct(m.overheadMs, 50)}, {"p95", pct(m.overheadMs, 95)},
                        {"p99", pct(m.overheadMs, 99)}}},
        {"bargeInMs", {{"n", m.bargeInMs.size()}, {"p50", pct(m.bargeInMs, 50)}, {"p99", pct(m.bargeInMs, 99)},
                       {"missed", m.bargeInsMissed}}},
        {"jitterMs", {{"p50", pct(m.jitterMs, 50)}, {"p99", pct(m.jitterMs, 99)},
                      {"max", m.jitterMs.empty() ? 0.0 : *std::max_element(m.jitterMs.begin(), m.jitterMs.end())}}},
        {"underruns", m.underruns},
        {"framesIn", m.framesIn},
        {"framesOut", m.framesOut},
        {"textMessagesIn", m.textIn},
        {"textBytesIn", m.textBytes},
        {"server", {{"baseRssMb", base.rssMb},
                    {"idleRssMb", idle.rssMb},
                    {"peakRssMb", peakRss},
                    {"idleRssPerCallMb", idleCalls > 0 ? (idle.rssMb - base.rssMb) / idleCalls : 0.0},
                    {"cpuPercent", wall > 0 ? 100.0 * (end.cpuSec - turnsStart.cpuSec) / wall : 0.0}}},
        {"loadgenCpuPercent", wall > 0 ? 100.0 * selfCpu / wall : 0.0},
        {"callSeconds", c.callSeconds},
        {"rssTimeline", timeline},
        {"wallSeconds", wall}};
    std::string out = json::serialize(r);
    if (!c.jsonOut.empty()) std::ofstream(c.jsonOut) << out << "\n";
    std::cout << out << std::endl;
    return m.turnMs.empty() ? 1 : 0;
}

// Helpers for the local-engine tests: an io_context as the call's executor, a thread pool
// as compute, and blocking helpers that pump the loop until a condition holds.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "providers/local/local.h"

namespace voxa::providers::local::test {

using Clock = std::chrono::steady_clock;

struct Loop {
    boost::asio::io_context ioc;
    boost::asio::thread_pool pool{2};
    // A wideband (16 kHz) line: `{}` for the fourth field once made callerRate 0, so these
    // tests ran the phone-line front end (narrowband.h) on wideband speech.
    Context ctx{ioc.get_executor(), &pool, "test-call"};

    ~Loop() {
        pool.join();
        ioc.restart();
        ioc.poll();  // let posted callbacks of finished work run (and free their state)
    }

    /// Runs the loop until `done()` or `timeout`; returns done(). The default only bounds a
    /// test that went wrong: pocketsphinx set-up under ASan on a loaded machine took 27 s.
    bool runUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
        auto end = Clock::now() + timeout;
        while (!done() && Clock::now() < end) {
            ioc.restart();
            ioc.run_for(std::chrono::milliseconds(5));
        }
        return done();
    }
    void runFor(std::chrono::milliseconds d) {
        runUntil([] { return false; }, d);
    }
};

inline boost::json::object obj(const char* text) { return boost::json::parse(text).as_object(); }

/// Synthesizes `text` with the local TTS; returns 16 kHz PCM (empty on error).
inline audio::Samples synthesize(Loop& loop, const std::string& text,
                                 const char* config = R"({"voiceId":"slt"})") {
    audio::Samples pcm;
    bool done = false;
    auto tts = makeTtsProvider()->open(
        obj(config), loop.ctx,
        {.onAudio = [&](uint64_t, audio::Samples s) { pcm.insert(pcm.end(), s.begin(), s.end()); },
         .onDone = [&](uint64_t) { done = true; },
         .onError = [&](uint64_t, const std::string&) { done = true; }});
    tts->speak(1, text);
    loop.runUntil([&] { return done; });
    tts->close();
    return pcm;
}

inline std::vector<std::string> splitWords(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    return w;
}

/// Word error rate: word-level Levenshtein distance / reference length.
inline double wer(const std::string& ref, const std::string& hyp) {
    auto r = splitWords(ref), h = splitWords(hyp);
    std::vector<size_t> prev(h.size() + 1), cur(h.size() + 1);
    for (size_t j = 0; j <= h.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= r.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= h.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] != h[j - 1])});
        std::swap(prev, cur);
    }
    return r.empty() ? 0 : double(prev[h.size()]) / double(r.size());
}

}  // namespace voxa::providers::local::test

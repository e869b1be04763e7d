// The completion model (pocketsphinx's trigram LM, calibrated) and Vapi's waitFunction.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "pipeline/completion.h"
#include "pipeline/completion_lm.h"

namespace voxa::pipeline {
namespace {

namespace cm = completion;

const std::shared_ptr<const cm::LmCompletionModel>& model() {
    static auto m = cm::load(cm::kDefaultLmPath);
    return m;
}

#define REQUIRE_LM()                                                            \
    if (!model()) GTEST_SKIP() << cm::kDefaultLmPath << " missing (pocketsphinx-en-us)"

struct Turn {
    int index;
    bool incomplete;
    std::string text;
};

std::vector<Turn> turns() {
    std::ifstream in(VOXA_TURNS_TSV);
    std::vector<Turn> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto tab = line.find('\t');
        out.push_back({int(out.size()), line.substr(0, tab) == "I", line.substr(tab + 1)});
    }
    return out;
}

std::string joined(const std::vector<std::string>& w) {
    std::string s;
    for (auto& x : w) s += (s.empty() ? "" : " ") + x;
    return s;
}

TEST(CompletionNormalize, LowerCasePunctuationDigitsContractions) {
    bool start = false;
    EXPECT_EQ(joined(cm::lastWords("Book it for TUESDAY.", 2, &start)), "for tuesday");
    EXPECT_FALSE(start);
    EXPECT_EQ(joined(cm::lastWords("My number is 55", 3)), "is five five");
    EXPECT_EQ(joined(cm::lastWords("order #55821!", 5)), "five five eight two one");
    EXPECT_EQ(joined(cm::lastWords("I'd like... to", 3)), "i'd like to");
    EXPECT_EQ(joined(cm::lastWords("no i dont", 2)), "i don't");
    EXPECT_EQ(joined(cm::lastWords("'quoted' words, - ", 2)), "quoted words");
    EXPECT_EQ(joined(cm::lastWords("yes", 2, &start)), "yes");
    EXPECT_TRUE(start);
    EXPECT_EQ(joined(cm::lastWords("Hi, there", 2, &start)), "hi there");
    EXPECT_TRUE(start);
    EXPECT_TRUE(cm::lastWords("  ...?! ", 2, &start).empty());
    EXPECT_TRUE(start);
    EXPECT_EQ(joined(cm::lastWords(std::string(100, 'a') + " end", 2)), "<unk> end");
    // A long turn: only its end is read.
    std::string lng;
    for (int i = 0; i < 20000; ++i) lng += "and then ";
    EXPECT_EQ(joined(cm::lastWords(lng + "stop", 2)), "then stop");
}

TEST(CompletionModel, MissingFileIsNull) {
    EXPECT_EQ(cm::load("/nonexistent/en-us.lm.bin"), nullptr);
    EXPECT_EQ(cm::load(VOXA_TURNS_TSV), nullptr);  // not an LM
}

TEST(CompletionModel, ClearCasesAreOrdered) {
    REQUIRE_LM();
    const std::pair<const char*, const char*> pairs[] = {
        {"i would like to book an appointment", "i would like to"},
        {"book it for tuesday", "book it for"},
        {"my number is five five five one two one two", "my number is five five"},
        {"yes", "and"},
        {"thank you very much", "because"},
        {"I'd like to cancel my order.", "I'd like to cancel my"},
        {"that's all", "so what i need is"},
        {"i'd like to reschedule", "i would like to book"},  // to + a verb that takes an object
    };
    for (auto& [done, cut] : pairs) {
        double pd = model()->probIncomplete(done), pc = model()->probIncomplete(cut);
        EXPECT_LT(pd, pc) << '"' << done << "\" vs \"" << cut << '"';
        EXPECT_LT(pd, 0.5) << done;
        EXPECT_GT(pc, 0.5) << cut;
    }
    for (auto* s : {"", "...", "  "}) EXPECT_DOUBLE_EQ(model()->probIncomplete(s), 0.5);
    // Case and punctuation do not change the answer.
    EXPECT_DOUBLE_EQ(model()->probIncomplete("Book it, for Tuesday!"),
                     model()->probIncomplete("book it for tuesday"));
}

// The held-out third of tests/unit/pipeline/data/turns.tsv (the calibration never saw it).
// Measured 84.3 % (59/70); the trailing-word list alone gets 72.9 %. With 70 turns one more
// miss is 1.4 points, and the LM file and the set are fixed (the result is deterministic):
// the bound allows one miss more than today and the model must stay well above the list.
TEST(CompletionModel, HeldOutAccuracy) {
    REQUIRE_LM();
    int n = 0, right = 0, listRight = 0;
    for (auto& t : turns()) {
        auto f = model()->features(t.text);
        if (std::getenv("VOXA_DUMP_FEATURES")) {  // for scripts/calibrate-completion.py
            auto w = cm::lastWords(t.text, 1);
            std::cout << t.index << '\t' << (t.incomplete ? 'I' : 'C') << '\t' << f.endLogProb
                      << '\t' << f.afterTo << '\t' << f.objectLogProb << '\t' << f.order << '\t' << f.unknownLast << '\t' << f.trailingWord
                      << '\t' << f.shortDigits << '\t' << (w.empty() ? "" : w[0]) << '\t'
                      << t.text << '\n';
        }
        if (t.index % 3) continue;
        ++n;
        right += (model()->probIncomplete(t.text) > 0.5) == t.incomplete;
        listRight += f.trailingWord == t.incomplete;
    }
    ASSERT_GE(n, 40);
    double acc = double(right) / n, listAcc = double(listRight) / n;
    std::cout << "held-out: " << right << "/" << n << " = " << acc << " (word list " << listAcc
              << ")\n";
    EXPECT_GE(acc, 0.82);
    EXPECT_GT(acc, listAcc + 0.05);
}

TEST(CompletionModel, FastAndThreadSafe) {
    REQUIRE_LM();
    const char* texts[] = {"i would like to book an appointment for", "my number is five five",
                           "yes", "The order number is 55821.", "thank you very much",
                           "it's for the"};
    double expected[6];
    for (int i = 0; i < 6; ++i) expected[i] = model()->probIncomplete(texts[i]);
    constexpr int kCalls = 20000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) (void)model()->probIncomplete(texts[i % 6]);
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                    .count() /
                kCalls;
    std::cout << "probIncomplete: " << us << " us per call\n";
    EXPECT_LT(us, 100);
    // Concurrent callers with different histories (the LM caches the last one) agree with
    // the sequential answers. Without the lock in completion.cpp, 4 threads x 200000 calls
    // gave 374 wrong answers; this shorter run is a smoke test of the same race.
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20000; ++i) {
                int k = (i * 7 + t) % 6;
                if (model()->probIncomplete(texts[k]) != expected[k]) ++wrong;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong, 0);
}

TEST(CompletionModel, ProcessWideModelLoadsInTheBackground) {
    REQUIRE_LM();
    preloadCompletionModel();
    preloadCompletionModel();  // once
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!completionModel() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(completionModel(), nullptr);
    EXPECT_GT(completionModel()->probIncomplete("i want to"), 0.5);
}

// --- WaitFunction ---------------------------------------------------------------------------

double eval(const char* expr, double x) {
    std::string err;
    auto f = WaitFunction::parse(expr, &err);
    EXPECT_TRUE(f) << expr << ": " << err;
    return f ? f->ms(x) : -1;
}

std::string error(std::string_view expr) {
    std::string err;
    EXPECT_FALSE(WaitFunction::parse(expr, &err)) << expr;
    return err;
}

TEST(WaitFunction, VapiExamples) {
    EXPECT_DOUBLE_EQ(eval("70 + 4000 * x", 0.5), 2070);
    EXPECT_DOUBLE_EQ(eval("200 + 8000 * x", 0.25), 2200);
    EXPECT_NEAR(eval("4000 * (1 - cos(pi * x))", 0.5), 4000, 1e-9);
    EXPECT_NEAR(eval("4000 * (1 - cos(pi * x))", 1), 8000, 1e-9);
    auto& d = WaitFunction::vapiDefault();
    EXPECT_DOUBLE_EQ(d.ms(0), 20);
    EXPECT_NEAR(d.ms(0.5), 20 + 500 * std::sqrt(0.5) + 2500 * 0.125, 1e-9);
    EXPECT_DOUBLE_EQ(d.ms(1), 3020);
    EXPECT_DOUBLE_EQ(eval("20 + 500 * sqrt(x) + 2500 * x^3", 0.3), d.ms(0.3));
}

TEST(WaitFunction, MathjsRules) {
    EXPECT_DOUBLE_EQ(eval("-2^2 + 10", 0), 6);  // -(2^2)
    EXPECT_DOUBLE_EQ(eval("2^3^2", 0), 512);    // right associative
    EXPECT_DOUBLE_EQ(eval("2^-1 * 100", 0), 50);
    EXPECT_DOUBLE_EQ(eval("10 - 4 - 3", 0), 3);
    EXPECT_DOUBLE_EQ(eval("100 / 4 / 5", 0), 5);
    EXPECT_DOUBLE_EQ(eval(" max(1, x * 10, 3) ", 0.5), 5);
    EXPECT_DOUBLE_EQ(eval("min(7, 9)", 0), 7);
    EXPECT_DOUBLE_EQ(eval("pow(x, 2) * 1000", 0.5), 250);
    EXPECT_NEAR(eval("log(e) + exp(0) + abs(-3) + sin(0) + log(1000, 10)", 0), 8, 1e-9);
    EXPECT_DOUBLE_EQ(eval("1.5e3 + .5 + 2.", 0), 1502.5);
    EXPECT_DOUBLE_EQ(eval("+x*1000", 1), 1000);
    EXPECT_NEAR(eval("PI * 100", 0), 314.159265, 1e-5);
}

TEST(WaitFunction, Clamping) {
    EXPECT_DOUBLE_EQ(eval("-500", 0), 0);
    EXPECT_DOUBLE_EQ(eval("x * 1e9", 1), 15000);
    EXPECT_DOUBLE_EQ(eval("1e999", 0), 15000);
    EXPECT_DOUBLE_EQ(eval("sqrt(x)", -1), 15000);  // NaN
    EXPECT_DOUBLE_EQ(eval("0 / 0", 0), 15000);
    EXPECT_DOUBLE_EQ(eval("1 / x", 0), 15000);     // +inf
    EXPECT_DOUBLE_EQ(eval("log(x)", 0), 0);        // -inf
    EXPECT_DOUBLE_EQ(WaitFunction::vapiDefault().ms(NAN), 15000);
}

TEST(WaitFunction, Errors) {
    EXPECT_EQ(error(""), "empty expression");
    EXPECT_EQ(error("20 +"), "unexpected end of expression");
    EXPECT_EQ(error("20 * y"), "unknown name 'y' (only x, pi and e)");
    EXPECT_EQ(error("foo(x)"), "unknown function 'foo'");
    EXPECT_EQ(error("(x + 1"), "expected ')' at 6");
    EXPECT_EQ(error("x + 1)"), "unexpected ')' at 5");
    EXPECT_EQ(error("2 x"), "unexpected 'x' at 2");  // no implicit multiplication
    EXPECT_EQ(error("x % 2"), "unexpected '%' at 2");
    EXPECT_EQ(error("sqrt()"), "sqrt takes 1 argument");
    EXPECT_EQ(error("sqrt(1, 2)"), "sqrt takes at most 1 argument");
    EXPECT_EQ(error("pow(2)"), "pow takes 2 arguments");
    EXPECT_EQ(error("1..2"), "unexpected '.' at 2");
    EXPECT_EQ(error(std::string("x\0", 2)), "unexpected '\\x00' at 1");
    EXPECT_NE(error(std::string(2000, '1')).find("longer than 1024"), std::string::npos);
    // The copy keeps working after the original goes.
    std::optional<WaitFunction> a = WaitFunction::parse("x * 2");
    WaitFunction b = *a;
    a.reset();
    EXPECT_DOUBLE_EQ(b.ms(100), 200);
}

TEST(WaitFunction, DeepNestingRejected) {
    auto nested = [](int n, std::string open, std::string close) {
        std::string s;
        for (int i = 0; i < n; ++i) s += open;
        s += "x";
        for (int i = 0; i < n; ++i) s += close;
        return s;
    };
    EXPECT_DOUBLE_EQ(eval(nested(30, "(", ")").c_str(), 0.5), 0.5);
    EXPECT_EQ(error(nested(40, "(", ")")), "expression nested too deeply");
    EXPECT_EQ(error(nested(40, "sqrt(", ")")), "expression nested too deeply");
    EXPECT_EQ(error(nested(300, "-", "")), "expression nested too deeply");
    EXPECT_EQ(error(nested(200, "2^", "")), "expression nested too deeply");
    // Long but flat: bounded by the node count, not the stack.
    std::string flat = "x";
    for (int i = 0; i < 200; ++i) flat += "+1";
    EXPECT_EQ(error(flat), "expression too long");
}

}  // namespace
}  // namespace voxa::pipeline

#include "providers/openai/sse.h"

#include <gtest/gtest.h>

#include <random>

namespace voxa::providers::openai {
namespace {

std::vector<SseEvent> parseWhole(std::string_view text) {
    SseParser p;
    std::vector<SseEvent> out;
    EXPECT_TRUE(p.feed(text, out));
    p.finish(out);
    return out;
}

std::vector<SseEvent> parsePieces(const std::vector<std::string_view>& pieces) {
    SseParser p;
    std::vector<SseEvent> out;
    for (auto piece : pieces) EXPECT_TRUE(p.feed(piece, out));
    p.finish(out);
    return out;
}

std::string describe(const std::vector<SseEvent>& events) {
    std::string s;
    for (auto& e : events) s += "[" + e.event + "|" + e.id + "|" + e.data + "]";
    return s;
}

// Every construct at once: comments, CRLF/CR/LF, multi-line data, event/id fields, a field
// without a space, a field without a value, retry, [DONE].
constexpr std::string_view kStream =
    ": keep-alive\r\n"
    "data: {\"a\":1}\n\n"
    "event: update\r\nid: 7\r\ndata: line one\r\ndata:line two\r\n\r\n"
    "retry: 100\rdata: cr only\r\r"
    "data\n\n"
    "data:  two spaces\n\n"
    "event: ignored-no-data\n\n"
    "data: a:b:c\n\n"
    "data: [DONE]\n\n";

TEST(OpenAiSse, ParsesAllConstructs) {
    auto events = parseWhole(kStream);
    ASSERT_EQ(events.size(), 7u) << describe(events);
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "update");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[1].data, "line one\nline two");
    EXPECT_EQ(events[2].data, "cr only");
    EXPECT_EQ(events[2].event, "");  // event type resets per event
    EXPECT_EQ(events[2].id, "7");    // last event id persists
    EXPECT_EQ(events[3].data, "");
    EXPECT_EQ(events[4].data, " two spaces");  // only one space is stripped
    EXPECT_EQ(events[5].data, "a:b:c");
    EXPECT_TRUE(events[6].isDone());
    EXPECT_FALSE(events[5].isDone());
}

TEST(OpenAiSse, SplitAtEveryBytePositionGivesTheSameEvents) {
    std::string expected = describe(parseWhole(kStream));
    for (size_t i = 0; i <= kStream.size(); ++i) {
        auto got = describe(parsePieces({kStream.substr(0, i), kStream.substr(i)}));
        ASSERT_EQ(got, expected) << "split at " << i;
    }
    for (size_t i = 0; i <= kStream.size(); ++i)
        for (size_t j = i; j <= kStream.size(); j += 3) {
            auto got = describe(parsePieces(
                {kStream.substr(0, i), kStream.substr(i, j - i), kStream.substr(j)}));
            ASSERT_EQ(got, expected) << "split at " << i << "," << j;
        }
}

TEST(OpenAiSse, ByteAtATimeAndRandomCuts) {
    std::string expected = describe(parseWhole(kStream));
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < kStream.size(); ++i) bytes.push_back(kStream.substr(i, 1));
    EXPECT_EQ(describe(parsePieces(bytes)), expected);

    std::mt19937 rng(42);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::string_view> pieces;
        size_t at = 0;
        while (at < kStream.size()) {
            size_t n = std::uniform_int_distribution<size_t>(0, 12)(rng);
            pieces.push_back(kStream.substr(at, n));
            at += std::min(n, kStream.size() - at);
        }
        ASSERT_EQ(describe(parsePieces(pieces)), expected) << "round " << round;
    }
}

TEST(OpenAiSse, CrLfSplitBetweenCrAndLfIsOneLineBreak) {
    auto events = parsePieces({"data: x\r", "\n\r", "\n"});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "x");
}

TEST(OpenAiSse, EventsAreReportedAsSoonAsTheyComplete) {
    SseParser p;
    std::vector<SseEvent> out;
    p.feed("data: one\n", out);
    EXPECT_TRUE(out.empty());
    p.feed("\ndata: tw", out);
    ASSERT_EQ(out.size(), 1u);
    p.feed("o\n\n", out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].data, "two");
}

TEST(OpenAiSse, SkipsLeadingBomEvenWhenSplit) {
    EXPECT_EQ(describe(parseWhole("\xEF\xBB\xBF" "data: x\n\n")), "[||x]");
    EXPECT_EQ(describe(parsePieces({"\xEF", "\xBB", "\xBF" "data: x\n\n"})), "[||x]");
    // Only at the very start.
    EXPECT_EQ(describe(parseWhole("data: x\n\n\xEF\xBB\xBF" "data: y\n\n")), "[||x]");
}

TEST(OpenAiSse, FinishFlushesAnUnterminatedEvent) {
    EXPECT_EQ(describe(parseWhole("data: [DONE]\n")), "[||[DONE]]");
    EXPECT_EQ(describe(parseWhole("data: [DONE]")), "[||[DONE]]");
    EXPECT_TRUE(parseWhole(": only a comment").empty());
    EXPECT_TRUE(parseWhole("").empty());
}

TEST(OpenAiSse, OversizedLineStopsTheParser) {
    SseParser p(16);
    std::vector<SseEvent> out;
    EXPECT_TRUE(p.feed("data: short\n\n", out));
    EXPECT_FALSE(p.feed("data: this line is far too long\n\n", out));
    EXPECT_TRUE(p.overflowed());
    EXPECT_FALSE(p.feed("data: x\n\n", out));
    EXPECT_EQ(out.size(), 1u);
}

TEST(OpenAiSse, OversizedMultiLineEventStopsTheParser) {
    SseParser p(16);
    std::vector<SseEvent> out;
    EXPECT_FALSE(p.feed("data: 0123456\ndata: 0123456\ndata: 0123456\n\n", out));
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace voxa::providers::openai

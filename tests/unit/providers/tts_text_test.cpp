// The bounds on what one local-TTS speak() may cost (src/providers/local/tts_text.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "providers/local/tts_text.h"

namespace voxa::providers::local {
namespace {

using Strings = std::vector<std::string>;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string withoutBlanks(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c != ' ' && c != '\n' && c != '\t') out.push_back(c);
    return out;
}

/// Every sentence and every word in it within the limits, none starting or ending blank,
/// none (in valid UTF-8) starting inside a character.
void expectBounded(const Strings& sentences, bool validUtf8 = true) {
    const size_t maxSentence = kMaxSentenceBytes;
    for (auto& s : sentences) {
        ASSERT_FALSE(s.empty());
        EXPECT_LE(s.size(), maxSentence) << s;
        EXPECT_NE(s.front(), ' ');
        EXPECT_NE(s.back(), ' ');
        size_t word = 0;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == ' ') {
                word = 0;
                continue;
            }
            if (word == 0 && validUtf8)
                EXPECT_FALSE(continuation(s[i])) << "a word starts mid-character";
            ++word;
            ASSERT_LE(word, kMaxWordBytes) << s;
        }
    }
}

std::string joined(const Strings& v) {
    std::string all;
    for (auto& s : v) all += s + " ";
    return all;
}

TEST(TtsText, LimitsAreTheDocumentedOnes) {
    // tts_text.h, README and docs/security.md quote these; change them together.
    EXPECT_EQ(kMaxUtteranceBytes, 4000u);
    EXPECT_EQ(kMaxWordBytes, 48u);
    EXPECT_EQ(kMaxSentenceBytes, 200u);
}

TEST(TtsText, NormalTextIsSplitIntoItsSentencesUnchanged) {
    EXPECT_EQ(splitSentences("Hello there, thanks for calling. Your appointment is on Tuesday "
                             "at three. Is that still fine?"),
              (Strings{"Hello there, thanks for calling.",
                       "Your appointment is on Tuesday at three.", "Is that still fine?"}));
    EXPECT_EQ(splitSentences("  Wait!  Really?\nYes; it is 3.5 km away.  "),
              (Strings{"Wait!", "Really?", "Yes;", "it is 3.5 km away."}));
    EXPECT_EQ(splitSentences("No end mark"), (Strings{"No end mark"}));
    EXPECT_EQ(splitSentences("Guten Tag, wie kann ich Ihnen helfen? Olá."),
              (Strings{"Guten Tag, wie kann ich Ihnen helfen?", "Olá."}));
    EXPECT_TRUE(splitSentences("   \n \t ").empty());
    EXPECT_TRUE(splitSentences("").empty());
    // The longest dictionary words are left alone.
    const std::string longWord = "Pneumonoultramicroscopicsilicovolcanoconiosis.";
    EXPECT_EQ(splitSentences(longWord), (Strings{longWord}));
}

TEST(TtsText, AFourThousandLetterWordBecomesBoundedPieces) {
    std::string word;
    for (int i = 0; i < 4000; ++i) word.push_back(char('a' + i % 26));
    auto sentences = splitSentences(word);
    expectBounded(sentences);
    // All of it is still spoken, in order, in ~4000/48 words.
    EXPECT_EQ(withoutBlanks(joined(sentences)), word);
    size_t words = 0;
    for (auto& s : sentences) words += size_t(std::count(s.begin(), s.end(), ' ')) + 1;
    EXPECT_EQ(words, (4000 + kMaxWordBytes - 1) / kMaxWordBytes);
    EXPECT_GE(sentences.size(), 4000 / kMaxSentenceBytes);
    std::string text = word;
    EXPECT_EQ(truncateUtterance(text), 0u) << "4,000 bytes is within the utterance limit";
}

TEST(TtsText, A200KbWordIsCutToTheUtteranceLimitThenBounded) {
    const std::string word(200 * 1024, 'x');
    std::string text = word;
    size_t dropped = truncateUtterance(text);
    EXPECT_EQ(text.size(), kMaxUtteranceBytes);
    EXPECT_EQ(dropped, word.size() - kMaxUtteranceBytes);
    auto sentences = splitSentences(text);
    expectBounded(sentences);
    EXPECT_EQ(withoutBlanks(joined(sentences)).size(), kMaxUtteranceBytes);
    // splitSentences alone is bounded per piece on any input size (and linear: no timeout).
    expectBounded(splitSentences(word));
}

TEST(TtsText, TruncationPrefersABlankAndNeverSplitsACharacter) {
    std::string text = std::string(3990, 'a') + " bbbbbbbbbbbbbbbbbbbb";
    EXPECT_EQ(truncateUtterance(text), 21u);
    EXPECT_EQ(text, std::string(3990, 'a'));
    // 3-byte characters, the limit falling inside one: cut before it.
    std::string cjk;
    for (int i = 0; i < 2000; ++i) cjk += "日";
    EXPECT_EQ(truncateUtterance(cjk), 6000u - 3999u);
    EXPECT_EQ(cjk.size(), 3999u);  // 1333 whole characters
    EXPECT_EQ(cjk.substr(cjk.size() - 3), "日");
    std::string shortText = "Hello.";
    EXPECT_EQ(truncateUtterance(shortText), 0u);
    EXPECT_EQ(shortText, "Hello.");
}

TEST(TtsText, LongWordsOfMultibyteCharactersBreakBetweenCharacters) {
    std::string word;
    for (int i = 0; i < 300; ++i) word += "日本";  // 3 bytes each, no blanks (as in Japanese)
    auto broken = breakLongWords(word);
    EXPECT_EQ(withoutBlanks(broken), word);
    auto sentences = splitSentences(word);
    expectBounded(sentences);
    EXPECT_EQ(withoutBlanks(joined(sentences)), word);
    // Invalid UTF-8 (continuation bytes only) still makes progress.
    std::string junk(500, '\x80');
    expectBounded(splitSentences(junk), false);
    EXPECT_EQ(withoutBlanks(joined(splitSentences(junk))), junk);
}

TEST(TtsText, LongSentencesSplitAtAClauseThenAtABlank) {
    std::string clause = "we have openings on Monday and Tuesday and Wednesday mornings";  // 61
    std::string sentence = clause + ", " + clause + ", " + clause + ", " + clause + ".";
    auto parts = splitSentences(sentence);
    expectBounded(parts);
    ASSERT_GE(parts.size(), 2u);
    EXPECT_EQ(parts[0].back(), ',') << parts[0];  // at a comma, not mid-clause
    EXPECT_EQ(withoutBlanks(joined(parts)), withoutBlanks(sentence));
    // No punctuation at all: split between words.
    std::string words;
    for (int i = 0; i < 100; ++i) words += "word ";
    auto plain = splitSentences(words);
    expectBounded(plain);
    for (auto& p : plain)
        for (size_t i = 0; i + 4 <= p.size(); i += 5) EXPECT_EQ(p.substr(i, 4), "word") << p;
}

}  // namespace
}  // namespace voxa::providers::local

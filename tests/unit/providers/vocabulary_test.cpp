// The assistant's words for the embedded recognizer (providers/local/vocabulary.h): which
// words are favoured. What favouring does to recognition is measured on the bench/stt set
// (bench/RESULTS.md) and checked in LocalStt.AScriptedAssistantsWordsAreFavoured.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>

#include "providers/local/vocabulary.h"

namespace voxa::providers::local {
namespace {

namespace json = boost::json;

std::map<std::string, float> asMap(const std::vector<Bias>& b) {
    std::map<std::string, float> m;
    for (auto& x : b) m[x.word] = x.boost;
    return m;
}

TEST(Vocabulary, KeywordsKeytermsAndRulePhrasesBecomeWords) {
    auto cfg = json::parse(R"({"keywords": ["Snowboard:3", "acme", "bad:0", "x:abc"],
                               "keyterm": ["Money back"]})").as_object();
    auto m = asMap(biasFrom(cfg, {"cancel appointment", "that's all", "a"}));
    EXPECT_FLOAT_EQ(m["snowboard"], 3 * kBiasBoost);  // Deepgram's word:boost
    EXPECT_FLOAT_EQ(m["acme"], kBiasBoost);
    EXPECT_FLOAT_EQ(m["bad"], kBiasBoost);            // a boost of 0 is no boost: the default
    EXPECT_FALSE(m.count("x"));                       // single letters are never favoured
    EXPECT_TRUE(m.count("money") && m.count("back"));
    EXPECT_TRUE(m.count("cancel") && m.count("appointment"));
    EXPECT_TRUE(m.count("that's") && m.count("all"));
    EXPECT_FALSE(m.count("a"));
}

TEST(Vocabulary, BoundedAndTheSameWordsGiveTheSameKey) {
    std::vector<std::string> many;
    for (int i = 0; i < 1000; ++i) many.push_back("word" + std::to_string(i));
    EXPECT_EQ(biasFrom({}, many).size(), kMaxBiasWords);
    auto huge = json::parse(R"({"keywords": ["wow:1000000"]})").as_object();
    EXPECT_FLOAT_EQ(biasFrom(huge, {})[0].boost, 10 * kBiasBoost);  // at most 10x

    EXPECT_EQ(biasKey(biasFrom({}, {"book", "cancel"})), biasKey(biasFrom({}, {"cancel book", "book"})));
    EXPECT_NE(biasKey(biasFrom({}, {"book"})), biasKey(biasFrom({}, {"cancel"})));
    EXPECT_EQ(biasKey({}), "");
}

}  // namespace
}  // namespace voxa::providers::local

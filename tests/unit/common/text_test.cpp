#include "common/text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace voxa {

TEST(ValidUtf8, KeepsValidTextAndReplacesEachBadByte) {
    EXPECT_EQ(validUtf8("plain"), "plain");
    EXPECT_EQ(validUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(validUtf8("caf\xE9!"), "caf" + fffd + "!");                    // Latin-1, not UTF-8
    EXPECT_EQ(validUtf8("cut \xE2\x82"), "cut " + fffd + fffd);              // a character cut short
    EXPECT_EQ(validUtf8("\xC0\xAF"), fffd + fffd);                          // overlong '/'
    EXPECT_EQ(validUtf8("\xED\xA0\x80"), fffd + fffd + fffd);               // a surrogate
    EXPECT_EQ(validUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);    // above U+10FFFF
    EXPECT_EQ(validUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));   // NUL is valid UTF-8
}

TEST(ValidUtf8, WhatItReturnsAlwaysGoesThroughJson) {
    // What a voice provider's JSON message is built from (TtsStage -> protocol speak()).
    for (int b = 0x80; b <= 0xFF; ++b) {
        std::string text = "x" + std::string(1, char(b)) + "\xE2\x82" + std::string(1, char(b));
        std::string msg = boost::json::serialize(boost::json::object{{"text", validUtf8(text)}});
        boost::system::error_code ec;
        boost::json::parse(msg, ec);
        EXPECT_FALSE(ec) << "byte " << b;
    }
}

}  // namespace voxa

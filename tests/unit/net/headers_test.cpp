#include "net/headers.h"

#include <gtest/gtest.h>

#include <vector>

namespace voxa::net {

TEST(Headers, ValuesWithControlsAreRefused) {
    EXPECT_TRUE(validHeaderValue("text/plain; charset=utf-8"));
    EXPECT_TRUE(validHeaderValue("a\tb"));
    EXPECT_TRUE(validHeaderValue("caf\xc3\xa9"));  // obs-text is not a control
    EXPECT_TRUE(validHeaderValue(""));
    for (const std::string& bad : std::vector<std::string>{std::string("a\rb"), "a\nb", "a\r\nSet-Cookie: x=1", std::string("a\0b", 3), "a\x01", "a\x7f"})
        EXPECT_FALSE(validHeaderValue(bad)) << bad;
    EXPECT_FALSE(validHeaderValue(std::string(kMaxHeaderValue + 1, 'a')));
}

TEST(Headers, NamesAreTokens) {
    EXPECT_TRUE(validHeaderName("X-Vapi-Secret"));
    EXPECT_TRUE(validHeaderName("x_custom!"));
    for (const char* bad : {"", "a b", "a:b", "a\r\nb", "a\"b", "caf\xc3\xa9"}) EXPECT_FALSE(validHeaderName(bad)) << bad;
}

TEST(Headers, MediaTypeIsTypeSlashSubtypeOrTheFallback) {
    EXPECT_EQ(mediaTypeOr("Text/HTML; charset=utf-8", "x/y"), "text/html");
    EXPECT_EQ(mediaTypeOr("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ""),
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    EXPECT_EQ(mediaTypeOr(" image/png ", ""), "image/png");
    const char* fallback = "application/octet-stream";
    for (const std::string& bad : std::vector<std::string>{std::string(), std::string("text"), "text/", "/html", "text/html\rX-Evil: 1", "text/html\nX: 1",
                            "text/html; a=\"\n\"", "text/ html", "te xt/html", "text/html/x",
                            std::string("text/ht\0ml", 10), "text/" + std::string(200, 'a')})
        EXPECT_EQ(mediaTypeOr(bad, fallback), fallback) << bad;
}

TEST(Headers, AttachmentEncodesTheNameSafely) {
    EXPECT_EQ(attachment("report.pdf"), "attachment; filename=\"report.pdf\"");
    EXPECT_EQ(attachment(""), "attachment");
    EXPECT_EQ(attachment("r\xc3\xa9sum\xc3\xa9.pdf"),
              "attachment; filename=\"r__sum__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
    EXPECT_EQ(attachment("a\"b\\c/d%e.txt"),
              "attachment; filename=\"a_b_c_d_e.txt\"; filename*=UTF-8''a%22b_c_d%25e.txt");
    auto split = attachment("x.html\r\nSet-Cookie: a=b\r\n\r\n<script>");
    EXPECT_TRUE(validHeaderValue(split)) << split;
    EXPECT_EQ(split.find("\r"), std::string::npos);
    // Long names are cut on a character boundary (é is two bytes: never half of one).
    std::string longName = "a";  // byte 200 is the second half of an é
    for (int i = 0; i < 150; ++i) longName += "\xc3\xa9";
    auto cut = attachment(longName);
    EXPECT_TRUE(validHeaderValue(cut));
    std::string ext = cut.substr(cut.find("UTF-8''") + 7);
    EXPECT_EQ(ext, "a" + [] { std::string s; for (int i = 0; i < 99; ++i) s += "%C3%A9"; return s; }());
}

}  // namespace voxa::net

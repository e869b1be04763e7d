#include "api/multipart.h"

#include <gtest/gtest.h>

namespace voxa::api {

static const char* kType = "multipart/form-data; boundary=----b0undary";

TEST(Multipart, ParsesFileAndFields) {
    std::string body =
        "------b0undary\r\n"
        "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n"
        "assistant\r\n"
        "------b0undary\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"notes;v1.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "line1\r\nline2\r\n"
        "------b0undary--\r\n";
    auto parts = parseMultipart(kType, body);
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 2u);
    EXPECT_EQ((*parts)[0].name, "purpose");
    EXPECT_EQ((*parts)[0].data, "assistant");
    EXPECT_EQ((*parts)[1].name, "file");
    EXPECT_EQ((*parts)[1].filename, "notes;v1.txt");
    EXPECT_EQ((*parts)[1].contentType, "text/plain");
    EXPECT_EQ((*parts)[1].data, "line1\r\nline2");
}

TEST(Multipart, BinaryDataIsKeptExactly) {
    std::string data("\0\1\2\r\n--x\xff", 9);
    std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n" +
                       data + "\r\n--B--";
    auto parts = parseMultipart("multipart/form-data; boundary=\"B\"", body);
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 1u);
    EXPECT_EQ((*parts)[0].data, data);
}

TEST(Multipart, RejectsMalformedInput) {
    EXPECT_FALSE(parseMultipart("application/json", "{}"));
    EXPECT_FALSE(parseMultipart("multipart/form-data", "--x\r\n"));  // no boundary
    EXPECT_FALSE(parseMultipart(kType, "no delimiter at all"));
    EXPECT_FALSE(parseMultipart(kType, "------b0undary\r\nContent-Disposition: x\r\n"));  // no blank line
    EXPECT_FALSE(parseMultipart(kType, "------b0undary\r\n\r\nunterminated"));
}

TEST(Multipart, RefusesPartHeadersWithBareLineBreaksOrControls) {
    for (const std::string& type : std::vector<std::string>{std::string("text/html\rX-Evil: 1"), "text/html\nX-Evil: 1", "text/html\x01",
                             std::string("text/html\0x", 11)}) {
        std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.html\"\r\n"
                           "Content-Type: " + type + "\r\n\r\n<b>x</b>\r\n--B--";
        EXPECT_FALSE(parseMultipart("multipart/form-data; boundary=B", body)) << type;
    }
    std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\nb.txt\"\r\n\r\nx\r\n--B--";
    EXPECT_FALSE(parseMultipart("multipart/form-data; boundary=B", body));
    // HTAB is allowed whitespace.
    std::string tab = "--B\r\nContent-Disposition:\tform-data; name=\"f\"\r\nContent-Type:\ttext/plain\r\n\r\nx\r\n--B--";
    auto parts = parseMultipart("multipart/form-data; boundary=B", tab);
    ASSERT_TRUE(parts);
    EXPECT_EQ((*parts)[0].contentType, "text/plain");
}

}  // namespace voxa::api

#include "common/secret_box.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace voxa::secrets {
namespace {

TEST(SecretBox, RoundTripCarriesTheKeyIdAndNeverThePlaintext) {
    auto key = generateKey();
    KeyRing ring({key});
    std::string s = seal(key, "sk-live-123456", "resources/credential/c1/body/apiKey");
    EXPECT_TRUE(s.starts_with("enc:v1:" + key.id + ":")) << s;
    EXPECT_EQ(sealedKeyId(s), key.id);
    EXPECT_EQ(s.find("sk-live"), std::string::npos);
    EXPECT_EQ(open(ring, s, "resources/credential/c1/body/apiKey"), "sk-live-123456");
    EXPECT_EQ(open(ring, seal(key, "", "x"), "x"), "");
}

TEST(SecretBox, EveryValueHasItsOwnNonce) {
    auto key = generateKey();
    EXPECT_NE(seal(key, "same", "ctx"), seal(key, "same", "ctx"));
    auto raw = base64Decode(seal(key, "same", "ctx").substr(7 + 9));
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->size(), 12 + 4 + 16);  // nonce | ciphertext | tag
}

TEST(SecretBox, TamperingAnotherKeyOrAnotherFieldIsAnError) {
    auto key = generateKey();
    KeyRing ring({key});
    std::string s = seal(key, "hunter2", "orgs/o1/body/secret");
    // Flip one byte of the ciphertext.
    auto raw = *base64Decode(s.substr(7 + 9));
    raw[13] ^= 1;
    EXPECT_THROW(open(ring, "enc:v1:" + key.id + ":" + base64Encode(raw), "orgs/o1/body/secret"), SealError);
    // The same value read as another row's or field's.
    EXPECT_THROW(open(ring, s, "orgs/o2/body/secret"), SealError);
    EXPECT_THROW(open(ring, s, "orgs/o1/body/apiKey"), SealError);
    // Another key: not in the ring, then a ring that claims the id with other bytes.
    KeyRing other({generateKey()});
    try {
        open(other, s, "orgs/o1/body/secret");
        FAIL();
    } catch (const SealError& e) {
        EXPECT_NE(std::string(e.what()).find(key.id), std::string::npos) << e.what();
    }
    Key impostor{.id = key.id, .bytes = generateKey().bytes};
    EXPECT_THROW(open(KeyRing({impostor}), s, "orgs/o1/body/secret"), SealError);
    EXPECT_THROW(open(ring, "enc:v1:" + key.id + ":AAAA", "x"), SealError);
    EXPECT_THROW(open(ring, "plain", "x"), SealError);
}

TEST(SecretBox, RingsParseBase64KeysCurrentFirstAndOpenWithAnyOfThem) {
    auto a = generateKey(), b = generateKey();
    auto ring = KeyRing::parse(base64Encode(a.bytes) + "," + base64Encode(b.bytes));
    EXPECT_EQ(ring.current().id, a.id);
    EXPECT_EQ(ring.keys().size(), 2u);
    EXPECT_EQ(open(ring, seal(b, "old", "c"), "c"), "old");
    // The key file's format: comments and one key per line; ids come from the bytes.
    auto again = KeyRing::parse(ring.serialize());
    EXPECT_EQ(again.describe(), ring.describe());
    EXPECT_EQ(keyId(a.bytes), a.id);
    EXPECT_EQ(a.id.size(), 8u);
    EXPECT_THROW(KeyRing::parse("not-base64!"), std::invalid_argument);
    EXPECT_THROW(KeyRing::parse(base64Encode("short")), std::invalid_argument);
    EXPECT_THROW(KeyRing::parse("# only a comment\n"), std::invalid_argument);
    try {
        KeyRing::parse(base64Encode(std::string(31, 'k')));
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find(base64Encode(std::string(31, 'k'))), std::string::npos);
    }
}

}  // namespace
}  // namespace voxa::secrets

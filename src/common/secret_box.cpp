#include "common/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "common/crypto.h"

namespace voxa::secrets {

namespace {

constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx newCtx() {
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
    return ctx;
}

std::string randomBytes(size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string aadOf(std::string_view keyId, std::string_view context) {
    std::string aad(kSealedPrefix);
    aad += keyId;
    aad += ':';
    aad += context;
    return aad;
}

}  // namespace

std::string keyId(std::string_view keyBytes) {
    return toHex(sha256(std::string("voxa secret key id\n") + std::string(keyBytes))).substr(0, 8);
}

Key generateKey() {
    Key k{.bytes = randomBytes(kKeyBytes)};
    k.id = keyId(k.bytes);
    return k;
}

KeyRing::KeyRing(std::vector<Key> keys) : keys_(std::move(keys)) {}

KeyRing KeyRing::parse(std::string_view text) {
    std::vector<Key> keys;
    size_t i = 0, n = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '#') {  // a comment runs to the end of the line
            while (i < text.size() && text[i] != '\n') ++i;
            continue;
        }
        if (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != ' ' && text[i] != '\n' &&
               text[i] != '\r' && text[i] != '\t')
            ++i;
        ++n;
        auto raw = base64Decode(text.substr(start, i - start));
        if (!raw)
            throw std::invalid_argument("secret key " + std::to_string(n) + " is not base64");
        if (raw->size() != kKeyBytes)
            throw std::invalid_argument("secret key " + std::to_string(n) + " is " +
                                        std::to_string(raw->size()) +
                                        " bytes, not 32 (make one with: openssl rand -base64 32)");
        Key k{.id = keyId(*raw), .bytes = std::move(*raw)};
        bool dup = false;
        for (auto& o : keys) dup = dup || o.id == k.id;
        if (!dup) keys.push_back(std::move(k));
    }
    if (keys.empty()) throw std::invalid_argument("no secret key given");
    return KeyRing(std::move(keys));
}

std::string KeyRing::serialize() const {
    std::string out =
        "# Voxa's master keys for secrets at rest (docs/security.md). The first one seals; the\n"
        "# others only open values not yet re-sealed (voxa admin rotate-secret-key).\n"
        "# Key ids: " + describe() + "\n";
    for (auto& k : keys_) out += base64Encode(k.bytes) + "\n";
    return out;
}

const Key* KeyRing::find(std::string_view id) const {
    for (auto& k : keys_)
        if (k.id == id) return &k;
    return nullptr;
}

std::string KeyRing::describe() const {
    std::string out;
    for (auto& k : keys_) out += (out.empty() ? "" : ", ") + k.id;
    return out;
}

bool isSealed(std::string_view value) { return value.starts_with(kSealedPrefix); }

std::string sealedKeyId(std::string_view value) {
    if (!isSealed(value)) return "";
    auto rest = value.substr(kSealedPrefix.size());
    auto colon = rest.find(':');
    return colon == std::string_view::npos ? "" : std::string(rest.substr(0, colon));
}

std::string seal(const Key& key, std::string_view plaintext, std::string_view context) {
    if (key.bytes.size() != kKeyBytes) throw std::invalid_argument("secret key must be 32 bytes");
    std::string nonce = randomBytes(kNonceBytes);
    std::string aad = aadOf(key.id, context);
    auto ctx = newCtx();
    std::string out = nonce;
    out.resize(kNonceBytes + plaintext.size() + kTagBytes);
    int len = 0, total = 0;
    if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), u8(key.bytes), u8(nonce), nullptr) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), u8(out) + kNonceBytes, &len, u8(plaintext),
                          static_cast<int>(plaintext.size())) != 1)
        throw std::runtime_error("AES-256-GCM encryption failed");
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), u8(out) + kNonceBytes + total, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                            u8(out) + kNonceBytes + total + len) != 1)
        throw std::runtime_error("AES-256-GCM encryption failed");
    return std::string(kSealedPrefix) + key.id + ":" + base64Encode(out);
}

std::string open(const KeyRing& ring, std::string_view sealed, std::string_view context) {
    std::string id = sealedKeyId(sealed);
    if (id.empty()) throw SealError("not a sealed value");
    const Key* key = ring.find(id);
    if (!key)
        throw SealError("sealed under key id " + id + ", which this server does not have (it has " +
                        ring.describe() + ")");
    auto raw = base64Decode(sealed.substr(kSealedPrefix.size() + id.size() + 1));
    if (!raw || raw->size() < kNonceBytes + kTagBytes)
        throw SealError("malformed sealed value (key id " + id + ")");
    std::string_view body(*raw);
    auto nonce = body.substr(0, kNonceBytes);
    auto ct = body.substr(kNonceBytes, body.size() - kNonceBytes - kTagBytes);
    std::string tag(body.substr(body.size() - kTagBytes));
    std::string aad = aadOf(id, context);
    auto ctx = newCtx();
    std::string out(ct.size(), '\0');
    int len = 0, total = 0;
    if (EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), u8(key->bytes), u8(nonce), nullptr) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), u8(out), &len, u8(ct), static_cast<int>(ct.size())) != 1)
        throw SealError("sealed value does not open (key id " + id + ")");
    total = len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), u8(out) + total, &len) != 1)
        throw SealError("sealed value does not open: tampered, moved to another field, or a wrong key (key id " +
                        id + ")");
    out.resize(total + len);
    return out;
}

}  // namespace voxa::secrets

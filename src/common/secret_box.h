// Secrets at rest: AES-256-GCM under a master key, every sealed value naming its key.
//
//   auto ring = voxa::secrets::KeyRing::parse("NEWKEYBASE64,OLDKEYBASE64");  // first = current
//   std::string s = voxa::secrets::seal(ring.current(), "sk-live-...", "resource/credential/ID/apiKey");
//   // s == "enc:v1:3f9a01c2:<base64(nonce | ciphertext | tag)>"
//   std::string p = voxa::secrets::open(ring, s, "resource/credential/ID/apiKey");  // or throws
//
// A sealed value is `enc:v1:<key id>:<base64(12-byte random nonce | ciphertext | 16-byte tag)>`.
// The key id is the first 8 hex digits of SHA-256 over a label and the key, so the same key
// always has the same id, wherever it comes from (flag, environment or key file). The AAD is
// the prefix plus a context the caller chooses (which row and field the value belongs to):
// a value copied into another row or field does not open there. OpenSSL EVP only.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::secrets {

inline constexpr std::string_view kSealedPrefix = "enc:v1:";

/// A value that does not open: tampered, under a key this ring does not have, or malformed.
/// Its message names the key id, never a key or a plaintext.
struct SealError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Key {
    std::string id;     // 8 hex digits, from the key's bytes
    std::string bytes;  // 32 raw bytes
};

/// The id of a 32-byte key.
std::string keyId(std::string_view keyBytes);
/// A fresh random 32-byte key.
Key generateKey();

/// The keys a server can open values with; the first one seals.
class KeyRing {
public:
    KeyRing() = default;
    explicit KeyRing(std::vector<Key> keys);
    /// Base64 keys separated by commas, spaces or newlines; lines starting with '#' are
    /// comments (the key file's format). Throws std::invalid_argument naming what is wrong
    /// (never the key): not base64, not 32 bytes, no key at all.
    static KeyRing parse(std::string_view text);
    /// The key file's text: a comment, then one base64 key per line, current first.
    std::string serialize() const;

    bool empty() const { return keys_.empty(); }
    const Key& current() const { return keys_.front(); }
    const Key* find(std::string_view id) const;
    const std::vector<Key>& keys() const { return keys_; }
    /// "3f9a01c2, 77ab0e13": the ids, for messages.
    std::string describe() const;

private:
    std::vector<Key> keys_;
};

/// Whether `value` has the sealed format's prefix.
bool isSealed(std::string_view value);
/// The key id of a sealed value ("" if it is not one).
std::string sealedKeyId(std::string_view value);

std::string seal(const Key& key, std::string_view plaintext, std::string_view context);
/// Throws SealError when the value does not open under `ring` with this context.
std::string open(const KeyRing& ring, std::string_view sealed, std::string_view context);

}  // namespace voxa::secrets

#include "common/ids.h"

#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>

#include "common/crypto.h"
#include "common/time.h"

namespace voxa {

static void randomBytes(unsigned char* p, size_t n) {
    if (RAND_bytes(p, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

static std::string formatUuid(const unsigned char* b) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        s.push_back(hex[b[i] >> 4]);
        s.push_back(hex[b[i] & 15]);
    }
    return s;
}

std::string newId() {
    unsigned char b[16];
    randomBytes(b, sizeof b);
    uint64_t ms = static_cast<uint64_t>(epochMs());
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f));
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
    return formatUuid(b);
}

std::string nameId(std::string_view name) {
    std::string h = sha256(name);
    unsigned char b[16];
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(h[static_cast<size_t>(i)]);
    b[6] = static_cast<unsigned char>(0x80 | (b[6] & 0x0f));  // version 8 (custom, RFC 9562)
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
    return formatUuid(b);
}

bool isUuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < 36; ++i) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string randomToken(size_t bytes) {
    std::string raw(bytes, '\0');
    randomBytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : raw) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            out.push_back(tbl[(acc >> (bits - 6)) & 63]);
            bits -= 6;
        }
    }
    if (bits > 0) out.push_back(tbl[(acc << (6 - bits)) & 63]);
    return out;
}

}  // namespace voxa

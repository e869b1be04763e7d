#include "auth/password.h"

#include <sodium.h>

#include <cctype>
#include <stdexcept>

#include "common/ids.h"

namespace voxa::auth {

namespace {
void initSodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace

std::vector<std::string> passwordProblems(std::string_view pw, std::string_view email) {
    std::vector<std::string> out;
    if (pw.size() < 10) out.push_back("password must be at least 10 characters long");
    if (pw.size() > 128) out.push_back("password must be at most 128 characters long");
    bool letter = false, other = false;
    for (unsigned char c : pw) {
        if (std::isalpha(c)) letter = true;
        else if (c != ' ') other = true;  // digits, symbols, anything non-ASCII
    }
    if (!letter || !other)
        out.push_back("password must contain a letter and a digit or symbol");
    auto lower = [](std::string_view s) {
        std::string r(s);
        for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return r;
    };
    if (!email.empty() && lower(pw) == lower(email))
        out.push_back("password must not be the email address");
    return out;
}

std::string hashPassword(std::string_view pw) {
    initSodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, pw.data(), pw.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("out of memory hashing a password");
    return out;
}

bool verifyPassword(const std::string& hash, std::string_view pw) {
    initSodium();
    return crypto_pwhash_str_verify(hash.c_str(), pw.data(), pw.size()) == 0;
}

const std::string& decoyHash() {
    static const std::string h = hashPassword(randomToken(24));
    return h;
}

}  // namespace voxa::auth

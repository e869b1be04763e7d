#include "common/secret_fields.h"

#include <array>

namespace voxa {

bool isSecretField(std::string_view k) {
    // Every field of Vapi's schemas (credentials, assistants, phone numbers, orgs, server
    // and authentication plans) that holds a secret, and Voxa's own (webhook targets' hmac).
    static constexpr std::array<std::string_view, 29> kSecret = {
        "secret",          "serverUrlSecret", "apiKey",          "authToken",       "apiSecret",
        "secretKey",       "clientSecret",    "password",        "authPassword",    "privateKey",
        "token",           "secretAccessKey", "serviceKey",      "apiToken",        "twilioAuthToken",
        "twilioApiSecret", "accessToken",     "refreshToken",    "bearerToken",     "sipPassword",
        "openAIKey",       "ocpApimSubscriptionKey", "awsSecretAccessKey", "gcpKey", "hmacSecret",
        "privateKeyId",    "jwtSecret",       "vonageApplicationPrivateKey", "callToken"};
    for (auto s : kSecret)
        if (k == s) return true;
    return false;
}

bool isSecretContainer(std::string_view k) { return k == "headers"; }

bool isGrantingUrl(std::string_view k) { return k == "controlUrl" || k == "listenUrl"; }

}  // namespace voxa

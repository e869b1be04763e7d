// Credential references and masked secrets across roles (api/secrets.h).
#include "api/secrets.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/errors.h"
#include "common/embedded.h"
#include "common/secret_box.h"
#include "store/sealed_store.h"

#include <functional>
#include <regex>
#include <set>
#include <string>

namespace voxa::api {
namespace {

namespace json = boost::json;
using auth::Principal;
using auth::Role;

Principal session(Role r) { return {.orgId = "o", .kind = "session", .role = r, .userId = "u", .sessionId = "s"}; }

TEST(Secrets, WhoMayUseCredentialsAndSeeSecrets) {
    EXPECT_TRUE(mayUseCredentials(session(Role::Owner)));
    EXPECT_TRUE(mayUseCredentials(session(Role::Admin)));
    EXPECT_FALSE(mayUseCredentials(session(Role::Member)));
    EXPECT_FALSE(mayUseCredentials(session(Role::Viewer)));
    EXPECT_TRUE(mayUseCredentials(Principal{.orgId = "o", .keyId = "k", .kind = "private"}));
    EXPECT_FALSE(mayUseCredentials(Principal{.orgId = "o", .keyId = "k", .kind = "public"}));
    EXPECT_TRUE(maySeeSecrets(session(Role::Member)));
    EXPECT_FALSE(maySeeSecrets(session(Role::Viewer)));
    EXPECT_FALSE(maySeeSecrets(Principal{.orgId = "o", .keyId = "k", .kind = "public"}));
}

TEST(Secrets, AnyNewOrChangedCredentialReferenceIsFound) {
    auto create = json::parse(R"({"name":"a","model":{"tools":[{"type":"function"},
        {"type":"apiRequest","server":{"url":"https://x","credentialId":"c1"}}]}})");
    EXPECT_EQ(changedCredentialRef(nullptr, create), "model.tools[1].server.credentialId");
    EXPECT_EQ(changedCredentialRef(nullptr, json::parse(R"({"voice":{"credentialIds":["c"]}})")),
              "voice.credentialIds");
    EXPECT_FALSE(changedCredentialRef(nullptr, json::parse(R"({"server":{"url":"https://x","credentialId":""}})")));
    EXPECT_FALSE(changedCredentialRef(nullptr, json::parse(R"({"credentialIds":[]})")));

    auto stored = json::parse(R"({"name":"a","server":{"url":"https://hook","credentialId":"c1"}})");
    // Untouched, renamed around it, or removed: fine.
    EXPECT_FALSE(changedCredentialRef(&stored, stored));
    EXPECT_FALSE(changedCredentialRef(&stored, json::parse(R"({"name":"b","server":{"url":"https://hook","credentialId":"c1"}})")));
    EXPECT_FALSE(changedCredentialRef(&stored, json::parse(R"({"name":"a","server":{"url":"https://evil"}})")));
    // Another id, or the same id sent somewhere else: a change.
    EXPECT_EQ(changedCredentialRef(&stored, json::parse(R"({"server":{"url":"https://hook","credentialId":"c2"}})")),
              "server.credentialId");
    EXPECT_EQ(changedCredentialRef(&stored, json::parse(R"({"server":{"url":"https://evil","credentialId":"c1"}})")),
              "server.credentialId");
    EXPECT_EQ(changedCredentialRef(&stored, json::parse(R"({"server":{"url":"https://hook","credentialId":"c1","headers":{"x":"1"}}})")),
              "server.credentialId");
    // Moved to another place in an array is a change too.
    auto tools = json::parse(R"({"tools":[{"credentialId":"c1"}]})");
    EXPECT_TRUE(changedCredentialRef(&tools, json::parse(R"({"tools":[{"type":"x"},{"credentialId":"c1"}]})")));
}

TEST(Secrets, GuardRefusesMembersAndPublicKeysWithVapisBody) {
    auto body = json::parse(R"({"server":{"url":"https://evil","credentialId":"c1"}})");
    EXPECT_NO_THROW(guardCredentialRefs(session(Role::Admin), nullptr, body));
    for (auto p : {session(Role::Member), Principal{.orgId = "o", .keyId = "k", .kind = "public"}}) {
        try {
            guardCredentialRefs(p, nullptr, body);
            ADD_FAILURE() << "no 403";
        } catch (const ApiError& e) {
            EXPECT_EQ(e.status(), 403);
            EXPECT_NE(std::string(e.what()).find("server.credentialId"), std::string::npos) << e.what();
        }
    }
    EXPECT_NO_THROW(guardCredentialRefs(session(Role::Member), nullptr, json::parse(R"({"server":{"url":"https://x","secret":"mine"}})")));
}

TEST(Secrets, MaskingHidesSecretValuesAndHeadersButKeepsTheShape) {
    auto v = json::parse(R"({"name":"a","server":{"url":"https://x","secret":"s3cret","credentialId":"c1",
        "headers":{"Authorization":"Bearer t","X-Count":{"a":"b"}}},"serverUrlSecret":"legacy",
        "credentials":[{"provider":"openai","apiKey":"sk-1"}],"twilioAuthToken":"tw",
        "authentication":{"username":"u","password":"p"},"count":3,"token":null,"secretEnabled":true})");
    maskSecrets(v);
    auto& o = v.as_object();
    EXPECT_EQ(o.at("name"), "a");
    EXPECT_EQ(o.at("server").at("url"), "https://x");
    EXPECT_EQ(o.at("server").at("secret"), kMaskedSecret);
    EXPECT_EQ(o.at("server").at("credentialId"), "c1");  // a reference, not a secret
    EXPECT_EQ(o.at("server").at("headers").at("Authorization"), kMaskedSecret);
    EXPECT_EQ(o.at("server").at("headers").at("X-Count").at("a"), kMaskedSecret);
    EXPECT_EQ(o.at("serverUrlSecret"), kMaskedSecret);
    EXPECT_EQ(o.at("credentials").at(0).at("apiKey"), kMaskedSecret);
    EXPECT_EQ(o.at("credentials").at(0).at("provider"), "openai");
    EXPECT_EQ(o.at("twilioAuthToken"), kMaskedSecret);
    EXPECT_EQ(o.at("authentication").at("password"), kMaskedSecret);
    EXPECT_EQ(o.at("authentication").at("username"), "u");
    EXPECT_TRUE(o.at("token").is_null());
    EXPECT_EQ(o.at("count"), 3);
    EXPECT_EQ(json::serialize(v).find("s3cret"), std::string::npos);
}


TEST(Secrets, EverySecretFieldOfVapisCredentialsIsKnown) {
    // Each Create*CredentialDTO field named like a secret must be hidden by GET /credential
    // and masked for viewers; the few that only look like one are listed here.
    const std::set<std::string> notSecret = {"publicKey", "accessKeyId", "awsAccessKeyId", "hmacAccessKey",
                                             "secretIsBase64", "tokenUri", "authProviderX509CertUrl",
                                             "clientX509CertUrl"};
    auto spec = json::parse(embedded::get("src/api/spec/vapi-schemas.json")).as_object();
    auto& schemas = spec.at("schemas").as_object();
    const std::regex looksSecret("key|secret|token|password", std::regex::icase);
    int checked = 0;
    std::function<void(const json::value&, int)> walk = [&](const json::value& v, int depth) {
        if (depth > 4 || !v.is_object()) return;
        auto& o = v.as_object();
        if (auto* ref = o.if_contains("$ref")) {
            std::string name(ref->as_string());
            walk(schemas.at(name.substr(name.rfind('/') + 1)), depth + 1);
            return;
        }
        if (auto* props = o.if_contains("properties"))
            for (auto& [k, sub] : props->as_object()) {
                std::string key(k);
                if (std::regex_search(key, looksSecret) && !notSecret.count(key)) {
                    EXPECT_TRUE(isSecretKey(key)) << key;
                    ++checked;
                }
                walk(sub, depth + 1);
            }
        for (auto list : {"oneOf", "allOf", "anyOf"})
            if (auto* l = o.if_contains(list))
                for (auto& e : l->as_array()) walk(e, depth + 1);
        if (auto* items = o.if_contains("items")) walk(*items, depth + 1);
    };
    for (auto& [name, schema] : schemas)
        if (name.starts_with("Create") && name.ends_with("CredentialDTO")) walk(schema, 0);
    EXPECT_GT(checked, 30);
    for (auto k : {"openAIKey", "ocpApimSubscriptionKey", "awsSecretAccessKey", "apiKey"}) EXPECT_TRUE(isSecretKey(k)) << k;
}

// Every schema of Vapi's API Voxa serves (assistants, squads, phone numbers, tools, orgs,
// credentials, calls, and every plan nested in them): each field that looks like a secret
// is in the one list (common/secret_fields.h), so it is masked, hidden and sealed at rest;
// the few that only look like one are listed here with why.
TEST(Secrets, EverySecretLookingFieldOfVapisSchemasIsKnownAndSealedAtRest) {
    const std::set<std::string> notSecret = {
        "publicKey", "accessKeyId", "awsAccessKeyId", "hmacAccessKey",  // the public half
        "twilioApiKey",                                                   // an API key SID (SK...), not its secret
        "secretIsBase64", "tokenUri", "authProviderX509CertUrl", "clientX509CertUrl",
        "maxTokens", "budgetTokens", "promptCacheKey",                    // model settings
        "key", "keyterm", "keytermsPrompt", "keywords", "keypadInputPlan"};  // words, not keys
    auto spec = json::parse(embedded::get("src/api/spec/vapi-schemas.json")).as_object();
    auto& schemas = spec.at("schemas").as_object();
    const std::regex looksSecret("key|secret|token|password", std::regex::icase);
    std::set<std::string> secretFields;
    for (auto& [name, schema] : schemas) {
        std::function<void(const json::value&, int)> walk = [&](const json::value& v, int depth) {
            if (depth > 6 || !v.is_object()) return;
            auto& o = v.as_object();
            if (auto* props = o.if_contains("properties"))
                for (auto& [k, sub] : props->as_object()) {
                    std::string key(k);
                    if (std::regex_search(key, looksSecret) && !notSecret.count(key)) {
                        EXPECT_TRUE(isSecretKey(key)) << name << "." << key;
                        secretFields.insert(key);
                    }
                    walk(sub, depth + 1);
                }
            for (auto list : {"oneOf", "allOf", "anyOf"})
                if (auto* l = o.if_contains(list))
                    for (auto& e : l->as_array()) walk(e, depth + 1);
            if (auto* items = o.if_contains("items")) walk(*items, depth + 1);
        };
        walk(schema, 0);
    }
    EXPECT_GE(secretFields.size(), 20u);
    // Stored anywhere in a resource, each one is sealed: the row holds no plaintext.
    secrets::KeyRing ring({secrets::generateKey()});
    json::object body{{"id", "r1"}, {"name", "visible"}};
    json::object nested;
    for (auto& f : secretFields) {
        body[f] = "PLAINTEXT-" + f;
        nested[f] = "PLAINTEXT-nested-" + f;
    }
    body["model"] = json::object{{"tools", json::array{json::object{{"server", nested}}}}};
    body["server"] = json::object{{"url", "https://h.example"}, {"secret", "PLAINTEXT-server"},
                                  {"headers", json::object{{"Authorization", "Bearer PLAINTEXT-h"}}}};
    store::StoredText row{"resources", "body", "assistant", "r1", json::serialize(body)};
    std::string stored = store::sealStoredText(ring, row, true);
    EXPECT_EQ(stored.find("PLAINTEXT"), std::string::npos) << stored;
    EXPECT_NE(stored.find("visible"), std::string::npos);
    row.text = stored;
    EXPECT_EQ(json::parse(store::openStoredText(ring, row)), body);
}

}  // namespace
}  // namespace voxa::api

TEST(Secrets, MaskingHidesTheMonitorUrlsThatGrantControl) {
    auto v = boost::json::parse(R"({"id":"c1","monitor":{"controlUrl":"http://h/c1/s3cr3t/control",
        "listenUrl":"ws://h/c1/s3cr3t/listen"},"transport":{"provider":"vapi.websocket"}})");
    voxa::api::maskSecrets(v);
    EXPECT_EQ(v.at("monitor").at("controlUrl"), voxa::api::kMaskedSecret);
    EXPECT_EQ(v.at("monitor").at("listenUrl"), voxa::api::kMaskedSecret);
    EXPECT_EQ(v.at("id"), "c1");
}

TEST(InlineCredentials, KeysAreHiddenAtAnyDepthForEveryone) {
    auto v = boost::json::parse(R"({
        "credentials": [{"provider": "deepgram", "apiKey": "dg-secret"}, {"provider": "11labs", "apiKey": "el-secret", "name": "main"}],
        "squad": {"members": [{"assistant": {"credentials": [{"provider": "openai", "apiKey": "sk-secret", "apiKeyHint": "x"}]}}]},
        "server": {"url": "https://example.com/hook"}})");
    voxa::api::hideInlineCredentialSecrets(v);
    auto text = boost::json::serialize(v);
    EXPECT_EQ(text.find("secret\""), std::string::npos) << text;
    EXPECT_EQ(v.at("credentials").at(0), boost::json::parse(R"({"provider": "deepgram"})"));
    EXPECT_EQ(v.at("credentials").at(1), boost::json::parse(R"({"provider": "11labs", "name": "main"})"));
    EXPECT_EQ(v.at("squad").at("members").at(0).at("assistant").at("credentials").at(0).at("apiKeyHint"), "x");
    EXPECT_EQ(v.at("server").at("url"), "https://example.com/hook");
}

TEST(InlineCredentials, APatchSendingThemBackAsReadKeepsTheStoredKeys) {
    auto stored = boost::json::parse(R"({"credentials": [
        {"provider": "deepgram", "apiKey": "dg-secret"}, {"provider": "11labs", "apiKey": "el-secret"}]})");
    // What a GET showed, edited: deepgram untouched, 11labs given a new key, cartesia added.
    auto updated = boost::json::parse(R"({"credentials": [
        {"provider": "deepgram"}, {"provider": "11labs", "apiKey": "el-new"}, {"provider": "cartesia"}]})");
    voxa::api::keepInlineCredentialSecrets(stored, updated);
    EXPECT_EQ(updated.at("credentials").at(0).at("apiKey"), "dg-secret");
    EXPECT_EQ(updated.at("credentials").at(1).at("apiKey"), "el-new");
    EXPECT_FALSE(updated.at("credentials").at(2).as_object().contains("apiKey"));
}

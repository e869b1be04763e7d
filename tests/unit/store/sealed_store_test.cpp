// The sealed store against every backend: what the database holds (read raw) has no
// plaintext secret, what the application reads back is what it wrote, rotation re-seals
// every row, plaintext rows from before are sealed, and a wrong key is refused.
#include "store/sealed_store.h"

#include <boost/json.hpp>

#include "store_fixture.h"

namespace voxa::store::test {
namespace {

namespace json = boost::json;

class SealedStoreTest : public StoreTest {
protected:
    // The fixture's store_ is the raw one; sealed() wraps a second connection to it.
    std::unique_ptr<SealedStore> sealedWith(std::shared_ptr<Keys> keys) {
        return std::make_unique<SealedStore>(openAt(loc_), std::move(keys));
    }
    std::unique_ptr<SealedStore> sealed() {
        if (isMemory()) return nullptr;
        return sealedWith(keys_);
    }
    // Everything the database holds in the columns that may hold secrets.
    std::string dump() {
        std::string out;
        for (auto& [table, column] : storedTextColumns())
            for (auto& row : store_->scanStoredTexts(table, column, "", "", 10000)) out += row.text + "\n";
        return out;
    }
    std::shared_ptr<Keys> keys_ = std::make_shared<Keys>(secrets::KeyRing({secrets::generateKey()}));
};

const std::string kCredential =
    R"({"id":"cred1","provider":"anthropic","apiKey":"sk-ant-PLAINTEXT-1","name":"main"})";
const std::string kAssistant =
    R"({"id":"asst1","name":"Support","server":{"url":"https://h.example/hook","secret":"srv-PLAINTEXT-2","headers":{"Authorization":"Bearer hdr-PLAINTEXT-3"}},"model":{"provider":"openai","model":"gpt-4o","temperature":0.5}})";
const std::string kPhone =
    R"({"id":"pn1","provider":"twilio","number":"+15550001111","twilioAccountSid":"AC1","twilioAuthToken":"tw-PLAINTEXT-4"})";

TEST_P(SealedStoreTest, TheDatabaseHoldsNoPlaintextSecretAndReadsGiveThemBack) {
    if (isMemory()) GTEST_SKIP() << "needs a second connection to the same database";
    auto st = sealed();
    auto cred = res(orgA, "cred1", 1, "credential");
    cred.body = kCredential;
    auto asst = res(orgA, "asst1", 2);
    asst.body = kAssistant;
    auto phone = res(orgA, "pn1", 3, "phone-number");
    phone.body = kPhone;
    st->insertResource(cred);
    st->insertResources({asst, phone});
    auto o = *st->getOrg(orgA);
    o.body = R"({"id":"org-a","serverUrlSecret":"org-PLAINTEXT-5"})";
    st->updateOrg(o);
    OutboxEvent e{.id = "ev1", .orgId = orgA, .orderKey = "call1", .seq = 1, .type = "status-update",
                  .target = R"({"url":"https://h.example/hook","headers":[["X-Vapi-Secret","tgt-PLAINTEXT-6"]],"hmac":{"secret":"hmac-PLAINTEXT-7","algorithm":"sha256"}})",
                  .body = R"({"message":{"type":"status-update"}})", .nextAttemptMs = 0, .expiresMs = 1LL << 50,
                  .createdAt = ts(4), .updatedAt = ts(4)};
    st->insertEvents({e});
    std::string signing = st->getOrCreateSecret("session-signing-key", "jwt-PLAINTEXT-8");
    EXPECT_EQ(signing, "jwt-PLAINTEXT-8");

    std::string raw = dump();
    EXPECT_EQ(raw.find("PLAINTEXT"), std::string::npos) << raw;
    EXPECT_NE(raw.find("enc:v1:" + keys_->ring()->current().id + ":"), std::string::npos);
    EXPECT_NE(raw.find("gpt-4o"), std::string::npos);  // only secrets are sealed
    // A body without secrets is stored byte for byte.
    EXPECT_NE(raw.find(R"({"message":{"type":"status-update"}})"), std::string::npos);

    EXPECT_EQ(json::parse(st->getResource("credential", orgA, "cred1")->body), json::parse(kCredential));
    EXPECT_EQ(json::parse(st->listResources("assistant", orgA, {})[0].body), json::parse(kAssistant));
    EXPECT_EQ(json::parse(st->getResourceAnyOrg("phone-number", "pn1")->body), json::parse(kPhone));
    EXPECT_EQ(json::parse(st->getOrg(orgA)->body).at("serverUrlSecret"), "org-PLAINTEXT-5");
    EXPECT_EQ(json::parse(st->getEvent("ev1")->target), json::parse(e.target));
    EXPECT_EQ(st->dueEvents(1, 10).size(), 1u);
    EXPECT_EQ(st->getOrCreateSecret("session-signing-key", "other"), "jwt-PLAINTEXT-8");
    EXPECT_EQ(*st->getSecret("session-signing-key"), "jwt-PLAINTEXT-8");

    // A sealed value copied into another row does not open there.
    auto rows = store_->scanStoredTexts("resources", "body", "", "", 100);
    auto stolen = json::parse(rows[0].kind == "assistant" ? rows[0].text : rows[1].text);
    auto other = res(orgA, "asst2", 5);
    store_->insertResource(other);
    auto row2 = store_->scanStoredTexts("resources", "body", "assistant", "asst1", 1);
    ASSERT_EQ(row2.size(), 1u);
    ASSERT_TRUE(store_->replaceStoredText(row2[0], json::serialize(stolen)));
    EXPECT_THROW(st->getResource("assistant", orgA, "asst2"), StoreError);
}

TEST_P(SealedStoreTest, PlaintextRowsAreSealedAndRotationReSealsEveryRow) {
    if (isMemory()) GTEST_SKIP() << "needs a second connection to the same database";
    // Rows from before: written without sealing.
    auto cred = res(orgA, "cred1", 1, "credential");
    cred.body = kCredential;
    store_->insertResource(cred);
    auto asst = res(orgA, "asst1", 2);
    asst.body = kAssistant;
    store_->insertResource(asst);
    EXPECT_FALSE(checkKey(*store_, *keys_->ring()));
    EXPECT_NE(dump().find("PLAINTEXT"), std::string::npos);
    auto st = sealed();
    // Readable as they are before the migration.
    EXPECT_EQ(json::parse(st->getResource("credential", orgA, "cred1")->body), json::parse(kCredential));
    auto report = resealAll(*store_, *keys_);
    markSealed(*store_, *keys_->ring());
    EXPECT_EQ(report.resealed, 2);
    EXPECT_EQ(dump().find("PLAINTEXT"), std::string::npos);
    EXPECT_TRUE(sealedUnder(*store_, *keys_->ring()));
    EXPECT_EQ(resealAll(*store_, *keys_).resealed, 0);  // nothing left to do

    // Rotation: a new key first, the old one still readable.
    auto oldId = keys_->ring()->current().id;
    auto fresh = secrets::generateKey();
    auto rotated = std::make_shared<Keys>(secrets::KeyRing({fresh, keys_->ring()->current()}));
    EXPECT_TRUE(checkKey(*store_, *rotated->ring()));
    EXPECT_FALSE(sealedUnder(*store_, *rotated->ring()));
    report = resealAll(*store_, *rotated);
    markSealed(*store_, *rotated->ring());
    EXPECT_GE(report.resealed, 2);
    std::string raw = dump();
    EXPECT_EQ(raw.find(oldId), std::string::npos) << raw;
    EXPECT_NE(raw.find(fresh.id), std::string::npos);
    // The new key alone reads everything; the old one alone is refused.
    auto onlyNew = sealedWith(std::make_shared<Keys>(secrets::KeyRing({fresh})));
    EXPECT_EQ(json::parse(onlyNew->getResource("assistant", orgA, "asst1")->body), json::parse(kAssistant));
    EXPECT_THROW(checkKey(*store_, *keys_->ring()), KeyMismatch);
    try {
        checkKey(*store_, secrets::KeyRing({secrets::generateKey()}));
        FAIL();
    } catch (const KeyMismatch& e) {
        EXPECT_NE(std::string(e.what()).find(fresh.id), std::string::npos) << e.what();
    }
}

TEST_P(SealedStoreTest, AKeyFileIsReadAgainWhenItChanges) {
    if (isMemory()) GTEST_SKIP() << "needs a second connection to the same database";
    auto dir = std::filesystem::temp_directory_path() / ("voxa_keys_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    dirs_.push_back(dir.string());
    std::string path = (dir / "secret.key").string();
    auto a = secrets::generateKey(), b = secrets::generateKey();
    writeKeyFile(path, secrets::KeyRing({a}));
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto fileKeys = std::make_shared<Keys>(path);
    auto reader = sealedWith(fileKeys);
    // Another process (the rotation) seals a row under a key this one does not have yet.
    writeKeyFile(path, secrets::KeyRing({b, a}));
    auto writer = sealedWith(std::make_shared<Keys>(secrets::KeyRing({b})));
    auto cred = res(orgA, "cred1", 1, "credential");
    cred.body = kCredential;
    writer->insertResource(cred);
    EXPECT_EQ(json::parse(reader->getResource("credential", orgA, "cred1")->body), json::parse(kCredential));
    EXPECT_EQ(fileKeys->ring()->current().id, b.id);
}

INSTANTIATE_TEST_SUITE_P(Backends, SealedStoreTest, VOXA_STORE_BACKENDS);

}  // namespace
}  // namespace voxa::store::test

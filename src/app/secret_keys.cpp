#include "app/secret_keys.h"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "common/secret_box.h"
#include "store/sealed_store.h"

namespace voxa::app {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

bool inMemory(const StorageConfig& s) { return s.dataDir.empty() || s.dataDir == ":memory:"; }

std::string keyFilePath(const StorageConfig& s) { return (fs::path(s.dataDir) / "secret.key").string(); }

// Creates the key file only if there is none (two processes starting at once keep one key).
bool createKeyFile(const std::string& path, const secrets::KeyRing& ring) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return false;
        throw std::runtime_error("cannot create the key file " + path + ": " + std::strerror(errno));
    }
    std::string text = ring.serialize();
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        throw std::runtime_error("cannot write the key file " + path);
    }
    return true;
}

std::unique_ptr<store::Store> openRaw(const StorageConfig& s) {
    if (s.databaseUrl.empty() && !inMemory(s)) fs::create_directories(s.dataDir);
    auto st = store::open({.databaseUrl = s.databaseUrl, .dataDir = s.dataDir});
    st->migrate();
    return st;
}

std::string noKeyMessage(const StorageConfig& s, const std::string& keyId) {
    return "this database's secrets are sealed under key id " + keyId +
           " and this server has no key: give it that key with --secret-key / VOXA_SECRET_KEY, "
           "or put the secret.key it was sealed with into " + s.dataDir;
}

// The keys as configured, or null when there are none and `use` may not make one.
std::shared_ptr<store::Keys> findKeys(const StorageConfig& s, store::Store& raw, KeyUse use,
                                      const std::function<void(const std::string&)>& notice) {
    if (!s.secretKey.empty()) {
        try {
            return std::make_shared<store::Keys>(secrets::KeyRing::parse(s.secretKey));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(std::string("invalid --secret-key / VOXA_SECRET_KEY: ") + e.what());
        }
    }
    if (inMemory(s)) return std::make_shared<store::Keys>(secrets::KeyRing({secrets::generateKey()}));
    std::string path = keyFilePath(s);
    if (fs::exists(path)) {
        ::chmod(path.c_str(), 0600);
        return std::make_shared<store::Keys>(path);
    }
    if (auto id = store::databaseKeyId(raw); !id.empty()) throw store::KeyMismatch(noKeyMessage(s, id));
    if (use == KeyUse::Admin) return nullptr;
    auto key = secrets::generateKey();
    if (createKeyFile(path, secrets::KeyRing({key})))
        notice(R"({"msg":"generated the master key for secrets at rest: back it up with the database","path":")" +
               path + R"(","keyId":")" + key.id + "\"}");
    return std::make_shared<store::Keys>(path);
}

}  // namespace

std::unique_ptr<store::Store> openSealedStore(const StorageConfig& s, KeyUse use,
                                              const std::function<void(const std::string&)>& notice) {
    auto raw = openRaw(s);
    auto keys = findKeys(s, *raw, use, notice);
    if (!keys) return raw;
    auto ring = keys->ring();
    bool everSealed = store::checkKey(*raw, *ring);
    auto sealed = std::make_unique<store::SealedStore>(std::move(raw), keys);
    if (everSealed && !store::sealedUnder(sealed->raw(), *ring)) {
        // A rotation under way (NEW,OLD): new values are sealed under NEW at once; the rows
        // under OLD are re-encrypted by `voxa admin rotate-secret-key`, not by every start.
        notice(R"({"msg":"the database is sealed under an older key: voxa admin rotate-secret-key re-encrypts it","databaseKeyId":")" +
               store::databaseKeyId(sealed->raw()) + R"(","keyId":")" + ring->current().id + "\"}");
    } else if (!everSealed) {
        // A new database, or one an older version wrote with plaintext secrets.
        auto report = store::resealAll(sealed->raw(), *keys);
        store::markSealed(sealed->raw(), *ring);
        sealed->raw().dropOldVersions();
        notice(R"({"msg":"secrets at rest sealed under the current key","keyId":")" + ring->current().id +
               R"(","rowsRead":)" + std::to_string(report.rows) + R"(,"rowsSealed":)" +
               std::to_string(report.resealed) + "}");
    }
    return sealed;
}

int adminRotateSecretKey(const StorageConfig& s, std::ostream& out) {
    auto raw = openRaw(s);
    std::shared_ptr<store::Keys> keys;
    std::string path;
    if (!s.secretKey.empty()) {
        // The operator's keys: the new one first ("NEW,OLD"); nothing to write.
        keys = std::make_shared<store::Keys>(secrets::KeyRing::parse(s.secretKey));
        store::checkKey(*raw, *keys->ring());
    } else {
        if (inMemory(s)) throw std::invalid_argument("rotate-secret-key needs a data dir or --secret-key");
        path = keyFilePath(s);
        if (!fs::exists(path)) {
            if (auto id = store::databaseKeyId(*raw); !id.empty()) throw store::KeyMismatch(noKeyMessage(s, id));
            throw std::invalid_argument("no key file at " + path +
                                        ": nothing is sealed yet (voxa serve makes the key at its first start)");
        }
        auto old = store::readKeyFile(path);
        store::checkKey(*raw, old);
        auto fresh = secrets::generateKey();
        std::vector<secrets::Key> ring{fresh};
        for (auto& k : old.keys()) ring.push_back(k);
        // New key first, old ones still readable: running servers read the file again
        // within a second and seal under the new key from then on; wait until they have.
        store::writeKeyFile(path, secrets::KeyRing(ring));
        std::cerr << "voxa: new master key " << fresh.id << " written to " << path
                  << " (old key ids " << old.describe() << " kept until every row is re-encrypted)\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        keys = std::make_shared<store::Keys>(path);
    }
    auto ring = keys->ring();
    auto report = store::resealAll(*raw, *keys);
    store::markSealed(*raw, *ring);
    raw->dropOldVersions();
    json::array retired;
    for (auto& k : ring->keys())
        if (k.id != ring->current().id) retired.push_back(json::string(k.id));
    if (!path.empty()) store::writeKeyFile(path, secrets::KeyRing({ring->current()}));
    json::object line{{"keyId", ring->current().id},
                      {"retiredKeyIds", retired},
                      {"rowsRead", report.rows},
                      {"rowsResealed", report.resealed}};
    out << json::serialize(line) << std::endl;
    return 0;
}

}  // namespace voxa::app

#include "store/sealed_store.h"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/secret_fields.h"

namespace voxa::store {

namespace json = boost::json;
using secrets::KeyRing;

namespace {

constexpr const char* kCheckName = "secret-key-check";
constexpr const char* kCheckText = "voxa secrets at rest";

int64_t fileStamp(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec +
           static_cast<int64_t>(st.st_size) * 7;
}

bool sealsField(std::string_view k) { return isSecretField(k) || isSecretContainer(k) || isGrantingUrl(k); }

// Nothing to protect: no value, a flag, or an empty string.
bool worthSealing(const json::value& v) {
    return !v.is_null() && !v.is_bool() && !(v.is_string() && v.as_string().empty());
}

struct Sealer {
    const KeyRing& ring;
    bool fresh;
    bool changed = false;

    void walk(json::value& v, const std::string& context) {
        if (v.is_object()) {
            for (auto& kv : v.as_object()) {
                std::string_view k = kv.key();
                if (sealsField(k) && worthSealing(kv.value())) seal(kv.value(), context + "/" + std::string(k));
                else walk(kv.value(), context);
            }
        } else if (v.is_array()) {
            for (auto& e : v.as_array()) walk(e, context);
        }
    }

    void seal(json::value& v, const std::string& context) {
        if (!fresh && v.is_string() && secrets::isSealed(v.as_string())) {
            std::string_view s = v.as_string();
            if (secrets::sealedKeyId(s) == ring.current().id) return;
            v = secrets::seal(ring.current(), secrets::open(ring, s, context), context);
        } else {
            v = secrets::seal(ring.current(), json::serialize(v), context);
        }
        changed = true;
    }
};

struct Opener {
    const KeyRing& ring;
    bool changed = false;

    void walk(json::value& v, const std::string& context) {
        if (v.is_object()) {
            for (auto& kv : v.as_object()) {
                std::string_view k = kv.key();
                auto& val = kv.value();
                if (sealsField(k) && val.is_string() && secrets::isSealed(val.as_string())) {
                    std::string ctx = context + "/" + std::string(k);
                    std::string plain = secrets::open(ring, val.as_string(), ctx);
                    boost::system::error_code ec;
                    val = json::parse(plain, ec);
                    if (ec) throw secrets::SealError("sealed value is not JSON (" + ctx + ")");
                    changed = true;
                } else {
                    walk(val, context);
                }
            }
        } else if (v.is_array()) {
            for (auto& e : v.as_array()) walk(e, context);
        }
    }
};

bool isServerSecret(const StoredText& t) { return t.table == "server_secrets"; }

}  // namespace

// Keys ------------------------------------------------------------------------------------

Keys::Keys(KeyRing fixed) : ring_(std::make_shared<const KeyRing>(std::move(fixed))) {}

Keys::Keys(std::string path) : path_(std::move(path)) {
    stamp_ = fileStamp(path_);
    ring_ = std::make_shared<const KeyRing>(readKeyFile(path_));
    checked_ = std::chrono::steady_clock::now();
}

std::shared_ptr<const KeyRing> Keys::ring() {
    std::lock_guard lock(mu_);
    if (path_.empty()) return ring_;
    auto now = std::chrono::steady_clock::now();
    if (now - checked_ < std::chrono::seconds(1)) return ring_;
    checked_ = now;
    int64_t stamp = fileStamp(path_);
    if (stamp == stamp_ || stamp < 0) return ring_;
    try {
        ring_ = std::make_shared<const KeyRing>(readKeyFile(path_));
        stamp_ = stamp;
    } catch (const std::exception&) {
        // Half-written or unreadable: keep the keys we have and look again next time.
    }
    return ring_;
}

std::shared_ptr<const KeyRing> Keys::reload() {
    {
        std::lock_guard lock(mu_);
        checked_ = {};
    }
    return ring();
}

KeyRing readKeyFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read the key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return KeyRing::parse(ss.str());
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("key file " + path + ": " + e.what());
    }
}

void writeKeyFile(const std::string& path, const KeyRing& ring) {
    std::string tmp = path + ".tmp";
    std::remove(tmp.c_str());
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write " + tmp);
        ::chmod(tmp.c_str(), 0600);
        out << ring.serialize();
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    ::chmod(tmp.c_str(), 0600);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot replace " + path);
}

// Stored texts ----------------------------------------------------------------------------

std::string storedTextContext(const StoredText& t) {
    if (t.table == "resources") return t.table + "/" + t.kind + "/" + t.id + "/" + t.column;
    return t.table + "/" + t.id + "/" + t.column;
}

std::string sealStoredText(const KeyRing& ring, const StoredText& t, bool fresh) {
    std::string context = storedTextContext(t);
    if (isServerSecret(t)) {
        if (t.text.empty()) return t.text;
        if (!fresh && secrets::isSealed(t.text)) {
            if (secrets::sealedKeyId(t.text) == ring.current().id) return t.text;
            return secrets::seal(ring.current(), secrets::open(ring, t.text, context), context);
        }
        return secrets::seal(ring.current(), t.text, context);
    }
    boost::system::error_code ec;
    json::value v = json::parse(t.text, ec);
    if (ec) return t.text;  // not JSON: nothing of ours to seal
    Sealer s{ring, fresh};
    s.walk(v, context);
    return s.changed ? json::serialize(v) : t.text;
}

std::string openStoredText(const KeyRing& ring, const StoredText& t) {
    if (t.text.find(secrets::kSealedPrefix) == std::string::npos) return t.text;
    std::string context = storedTextContext(t);
    if (isServerSecret(t)) return secrets::isSealed(t.text) ? secrets::open(ring, t.text, context) : t.text;
    boost::system::error_code ec;
    json::value v = json::parse(t.text, ec);
    if (ec) return t.text;
    Opener o{ring};
    o.walk(v, context);
    return o.changed ? json::serialize(v) : t.text;
}

// The key check ---------------------------------------------------------------------------

namespace {

const StoredText kCheckRow{"server_secrets", "value", "", kCheckName, ""};

}  // namespace

std::string databaseKeyId(Store& raw) {
    auto check = raw.getSecret(kCheckName);
    return check ? secrets::sealedKeyId(*check) : "";
}

bool checkKey(Store& raw, const KeyRing& ring) {
    auto check = raw.getSecret(kCheckName);
    if (!check) return false;
    std::string id = secrets::sealedKeyId(*check);
    try {
        if (secrets::open(ring, *check, storedTextContext(kCheckRow)) == kCheckText) return true;
    } catch (const secrets::SealError&) {
    }
    throw KeyMismatch("the master key does not match this database: its secrets are sealed under key id " +
                      id + ", and this server has key id " + ring.describe() +
                      ". Start it with the key the database was sealed with (--secret-key / "
                      "VOXA_SECRET_KEY, or the data dir's secret.key from your backup)");
}

bool sealedUnder(Store& raw, const KeyRing& ring) { return databaseKeyId(raw) == ring.current().id; }

void markSealed(Store& raw, const KeyRing& ring) {
    std::string value = secrets::seal(ring.current(), kCheckText, storedTextContext(kCheckRow));
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::string stored = raw.getOrCreateSecret(kCheckName, value);
        if (stored == value) return;
        StoredText before = kCheckRow;
        before.text = stored;
        if (raw.replaceStoredText(before, value)) return;
    }
    throw StoreError("cannot record the secret key check value");
}

ResealReport resealAll(Store& raw, Keys& keys) {
    ResealReport report;
    for (int pass = 1; pass <= 5; ++pass) {
        report.passes = pass;
        auto ring = keys.ring();
        int64_t raced = 0;
        for (auto& [table, column] : storedTextColumns()) {
            std::string afterKind, afterId;
            for (;;) {
                auto rows = raw.scanStoredTexts(table, column, afterKind, afterId, 200);
                for (auto& row : rows) {
                    ++report.rows;
                    if (isServerSecret(row) && row.id == kCheckName) continue;
                    std::string text = sealStoredText(*ring, row, false);
                    if (text == row.text) continue;
                    if (raw.replaceStoredText(row, text)) ++report.resealed;
                    else ++raced;  // written meanwhile: looked at again in the next pass
                }
                if (rows.size() < 200) break;
                afterKind = rows.back().kind;
                afterId = rows.back().id;
            }
        }
        if (raced == 0) return report;
    }
    throw StoreError("rows kept changing while they were re-encrypted: run it again");
}

// SealedStore -----------------------------------------------------------------------------

SealedStore::SealedStore(std::unique_ptr<Store> inner, std::shared_ptr<Keys> keys)
    : inner_(std::move(inner)), keys_(std::move(keys)) {}

std::string SealedStore::seal(const StoredText& t) { return sealStoredText(*keys_->ring(), t, true); }

std::string SealedStore::open(const StoredText& t) {
    try {
        return openStoredText(*keys_->ring(), t);
    } catch (const secrets::SealError&) {
        // A key this server does not have yet (a rotation under way): read the key file again.
        try {
            return openStoredText(*keys_->reload(), t);
        } catch (const secrets::SealError& e) {
            throw StoreError(std::string("cannot open a stored secret: ") + e.what());
        }
    }
}

Resource SealedStore::sealed(Resource r) {
    r.body = seal({"resources", "body", r.kind, r.id, std::move(r.body)});
    return r;
}

Resource SealedStore::opened(Resource r) {
    r.body = open({"resources", "body", r.kind, r.id, std::move(r.body)});
    return r;
}

OutboxEvent SealedStore::sealed(OutboxEvent e) {
    e.target = seal({"webhook_outbox", "target", "", e.id, std::move(e.target)});
    e.body = seal({"webhook_outbox", "body", "", e.id, std::move(e.body)});
    return e;
}

OutboxEvent SealedStore::opened(OutboxEvent e) {
    e.target = open({"webhook_outbox", "target", "", e.id, std::move(e.target)});
    e.body = open({"webhook_outbox", "body", "", e.id, std::move(e.body)});
    return e;
}

void SealedStore::insertResource(const Resource& r) { inner_->insertResource(sealed(r)); }

void SealedStore::insertResources(const std::vector<Resource>& rows) {
    std::vector<Resource> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(sealed(r));
    inner_->insertResources(out);
}

std::optional<Resource> SealedStore::getResource(const std::string& kind, const std::string& orgId,
                                                 const std::string& id) {
    auto r = inner_->getResource(kind, orgId, id);
    if (r) *r = opened(std::move(*r));
    return r;
}

std::optional<Resource> SealedStore::getResourceAnyOrg(const std::string& kind, const std::string& id) {
    auto r = inner_->getResourceAnyOrg(kind, id);
    if (r) *r = opened(std::move(*r));
    return r;
}

std::vector<Resource> SealedStore::listResources(const std::string& kind, const std::string& orgId,
                                                 const ListQuery& q) {
    auto rows = inner_->listResources(kind, orgId, q);
    for (auto& r : rows) r = opened(std::move(r));
    return rows;
}

std::vector<Resource> SealedStore::findByAttr(const std::string& kind, int attr, const std::string& value) {
    auto rows = inner_->findByAttr(kind, attr, value);
    for (auto& r : rows) r = opened(std::move(r));
    return rows;
}

bool SealedStore::updateResource(const Resource& r) { return inner_->updateResource(sealed(r)); }

void SealedStore::insertOrg(const Org& o) {
    Org s = o;
    s.body = seal({"orgs", "body", "", o.id, o.body});
    inner_->insertOrg(s);
}

std::optional<Org> SealedStore::getOrg(const std::string& id) {
    auto o = inner_->getOrg(id);
    if (o) o->body = open({"orgs", "body", "", o->id, std::move(o->body)});
    return o;
}

std::vector<Org> SealedStore::listOrgs() {
    auto orgs = inner_->listOrgs();
    for (auto& o : orgs) o.body = open({"orgs", "body", "", o.id, std::move(o.body)});
    return orgs;
}

bool SealedStore::updateOrg(const Org& o) {
    Org s = o;
    s.body = seal({"orgs", "body", "", o.id, o.body});
    return inner_->updateOrg(s);
}

std::string SealedStore::getOrCreateSecret(const std::string& name, const std::string& value) {
    StoredText t{"server_secrets", "value", "", name, value};
    t.text = inner_->getOrCreateSecret(name, seal(t));
    return open(t);
}

std::optional<std::string> SealedStore::getSecret(const std::string& name) {
    auto v = inner_->getSecret(name);
    if (v) *v = open({"server_secrets", "value", "", name, std::move(*v)});
    return v;
}

void SealedStore::insertEvents(const std::vector<OutboxEvent>& events) {
    std::vector<OutboxEvent> out;
    out.reserve(events.size());
    for (auto& e : events) out.push_back(sealed(e));
    inner_->insertEvents(out);
}

std::vector<OutboxEvent> SealedStore::dueEvents(int64_t nowMs, int limit) {
    auto events = inner_->dueEvents(nowMs, limit);
    for (auto& e : events) e = opened(std::move(e));
    return events;
}

std::optional<OutboxEvent> SealedStore::getEvent(const std::string& id) {
    auto e = inner_->getEvent(id);
    if (e) *e = opened(std::move(*e));
    return e;
}

std::vector<OutboxEvent> SealedStore::listEvents(const std::string& orgId, const std::string& orderKey,
                                                 const std::string& status, int limit) {
    auto events = inner_->listEvents(orgId, orderKey, status, limit);
    for (auto& e : events) e = opened(std::move(e));
    return events;
}

}  // namespace voxa::store

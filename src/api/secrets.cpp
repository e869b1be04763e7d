#include "api/secrets.h"

#include <boost/json.hpp>

#include "api/errors.h"
#include "common/secret_fields.h"

namespace voxa::api {

namespace json = boost::json;

bool mayUseCredentials(const auth::Principal& p) {
    return p.isPrivate() && p.role >= auth::Role::Admin;
}

bool maySeeSecrets(const auth::Principal& p) {
    return p.isPrivate() && p.role >= auth::Role::Member;
}

namespace {

bool isRefKey(std::string_view k) { return k == "credentialId" || k == "credentialIds"; }

bool hasRef(const json::object& o) {
    for (auto& kv : o) {
        if (!isRefKey(kv.key())) continue;
        auto& v = kv.value();
        if ((v.is_string() && !v.as_string().empty()) || (v.is_array() && !v.as_array().empty()))
            return true;
    }
    return false;
}

// Walks `after` and the value at the same place in `before`. An object holding a reference
// must be exactly the one that was there: a new reference, another id, or the same id with
// another url/headers beside it are all changes.
std::optional<std::string> walk(const json::value* before, const json::value& after,
                                const std::string& path) {
    if (after.is_object()) {
        auto& o = after.as_object();
        const json::object* b = before && before->is_object() ? &before->as_object() : nullptr;
        if (hasRef(o) && (!b || *b != o)) {
            for (auto& kv : o)
                if (isRefKey(kv.key())) return path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
        }
        for (auto& kv : o) {
            const json::value* bv = b ? b->if_contains(kv.key()) : nullptr;
            std::string sub = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
            if (auto r = walk(bv, kv.value(), sub)) return r;
        }
    } else if (after.is_array()) {
        auto& a = after.as_array();
        const json::array* b = before && before->is_array() ? &before->as_array() : nullptr;
        for (size_t i = 0; i < a.size(); ++i) {
            const json::value* bv = b && i < b->size() ? &(*b)[i] : nullptr;
            if (auto r = walk(bv, a[i], path + "[" + std::to_string(i) + "]")) return r;
        }
    }
    return std::nullopt;
}

}  // namespace

bool isSecretKey(std::string_view k) { return isSecretField(k); }

namespace {

void maskAll(json::value& v) {  // every string under v (header values)
    if (v.is_string()) v = kMaskedSecret;
    else if (v.is_object())
        for (auto& kv : v.as_object()) maskAll(kv.value());
    else if (v.is_array())
        for (auto& e : v.as_array()) maskAll(e);
}

}  // namespace

std::optional<std::string> changedCredentialRef(const json::value* before, const json::value& after) {
    return walk(before, after, "");
}

void guardCredentialRefs(const auth::Principal& p, const json::value* before, const json::value& after) {
    if (mayUseCredentials(p)) return;
    if (auto where = changedCredentialRef(before, after))
        throw ApiError::forbidden(
            "Only an admin can attach a credential or change what uses one (" + *where +
            "); your role (" + (p.isPrivate() ? auth::roleName(p.role) : "public key") +
            ") may keep or remove it");
}

void maskSecrets(json::value& v) {
    if (v.is_object()) {
        for (auto& kv : v.as_object()) {
            auto k = kv.key();
            // A call's monitor URLs carry the secret that lets their holder steer or hear it.
            bool grantingUrl = isGrantingUrl(k);
            if ((isSecretKey(k) || grantingUrl) && !kv.value().is_null() && !kv.value().is_bool())
                kv.value() = kMaskedSecret;
            else if (isSecretContainer(k))
                maskAll(kv.value());
            else
                maskSecrets(kv.value());
        }
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) maskSecrets(e);
    }
}

namespace {

bool hasSecret(const json::object& o) {
    for (auto& kv : o)
        if (isSecretKey(kv.key())) return true;
    return false;
}

const json::object* sameCredential(const json::array& stored, const json::object& entry) {
    auto field = [](const json::object& o, const char* k) {
        auto* v = o.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    for (auto& e : stored) {
        if (!e.is_object()) continue;
        auto& so = e.as_object();
        if (field(so, "provider") == field(entry, "provider") && field(so, "name") == field(entry, "name"))
            return &so;
    }
    return nullptr;
}

}  // namespace

void hideInlineCredentialSecrets(json::value& v) {
    if (v.is_object()) {
        for (auto& kv : v.as_object()) {
            if (kv.key() == "credentials" && kv.value().is_array()) {
                for (auto& e : kv.value().as_array()) {
                    if (!e.is_object()) continue;
                    auto& o = e.as_object();
                    for (auto it = o.begin(); it != o.end();) it = isSecretKey(it->key()) ? o.erase(it) : std::next(it);
                }
            } else {
                hideInlineCredentialSecrets(kv.value());
            }
        }
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) hideInlineCredentialSecrets(e);
    }
}

void keepInlineCredentialSecrets(const json::value& stored, json::value& updated) {
    if (stored.is_object() && updated.is_object()) {
        auto& so = stored.as_object();
        for (auto& kv : updated.as_object()) {
            auto* sv = so.if_contains(kv.key());
            if (!sv) continue;
            if (kv.key() == "credentials" && kv.value().is_array() && sv->is_array()) {
                for (auto& e : kv.value().as_array()) {
                    if (!e.is_object() || hasSecret(e.as_object())) continue;
                    if (auto* old = sameCredential(sv->as_array(), e.as_object()))
                        for (auto& okv : *old)
                            if (isSecretKey(okv.key())) e.as_object()[okv.key()] = okv.value();
                }
            } else {
                keepInlineCredentialSecrets(*sv, kv.value());
            }
        }
    } else if (stored.is_array() && updated.is_array()) {
        auto& sa = stored.as_array();
        auto& ua = updated.as_array();
        for (size_t i = 0; i < ua.size() && i < sa.size(); ++i) keepInlineCredentialSecrets(sa[i], ua[i]);
    }
}

}  // namespace voxa::api

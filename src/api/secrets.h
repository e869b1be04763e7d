// Secrets across roles: who may attach a stored credential to something that sends requests,
// and who may read the secrets written inside resources.
//
//   guardCredentialRefs(rc.principal, &stored, merged);   // 403 for a member changing server.credentialId
//   if (!maySeeSecrets(rc.principal)) maskSecrets(body);  // viewers: server.secret -> "********"
//
// Credentials (/credential) are managed by admins; their values are never returned to anyone.
// A reference to one (`credentialId`, `credentialIds`, at any depth: server, model, voice,
// transcriber, tools, ...) decides where that credential's token is sent, so only a role that
// manages credentials (admin and owner, or a private API key) may add one or change the object
// that holds one; members may keep them untouched, or remove them. Public keys may do neither.
//
// Secrets inside resources (`server.secret`, header values, inline `credentials[]` keys,
// phone-number auth tokens, SIP passwords, ...) are readable by members and up, who may edit
// them anyway; viewers and public keys see them masked, and so the call's `monitor.controlUrl`
// and `monitor.listenUrl`, whose secret lets their holder steer or hear the call.
#pragma once
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"

namespace voxa::api {

inline constexpr const char* kMaskedSecret = "********";

/// Admin and owner sessions and private API keys.
bool mayUseCredentials(const auth::Principal& p);
/// Members and up, private API keys.
bool maySeeSecrets(const auth::Principal& p);

/// The first place where `after` adds or changes a credential reference compared with
/// `before` (null: nothing before, a create), as a path ("server.credentialId"); nullopt if none.
std::optional<std::string> changedCredentialRef(const boost::json::value* before,
                                                const boost::json::value& after);
/// Throws ApiError 403 when `p` may not use credentials and `after` changes a reference.
void guardCredentialRefs(const auth::Principal& p, const boost::json::value* before,
                         const boost::json::value& after);

/// A field name that holds a secret in Vapi's schemas ("apiKey", "openAIKey", "secret", ...):
/// common/secret_fields.h's list, the same one the store encrypts at rest.
bool isSecretKey(std::string_view key);

/// Replaces every secret value under `v` with kMaskedSecret (in place).
void maskSecrets(boost::json::value& v);

/// Inline provider credentials (`credentials[]` of assistants, squads, calls, at any depth)
/// are used by the server and never returned, as /credential's: removes their secret fields
/// (apiKey, ...) from `v` in place, for every role.
void hideInlineCredentialSecrets(boost::json::value& v);
/// A PATCH that sends `credentials[]` back as it was read (without secrets) keeps the stored
/// ones: each entry of `updated` without a secret field gets those of the stored entry of
/// the same provider (and name), at the same place in `stored`.
void keepInlineCredentialSecrets(const boost::json::value& stored, boost::json::value& updated);

}  // namespace voxa::api

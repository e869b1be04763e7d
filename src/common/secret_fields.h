// The one list of JSON fields that hold secrets, wherever they appear: in credentials, in
// assistants, squads, phone numbers, tools and orgs, inside call records and leases, in the
// webhook outbox's delivery targets. Everything that protects secrets asks here:
//
//   if (voxa::isSecretField(key)) ...        // api/secrets.h masks it, store/sealed_store.h
//                                            // encrypts it at rest
//
// The rule is by field name at any depth, not per resource kind, so a new resource kind, or
// a secret field a new version of Vapi's schemas nests somewhere new, is covered without a
// list to update. tests/unit/api/secrets_test.cpp walks Vapi's DTO schemas and fails on a
// field that looks like a secret and is not named here (or explicitly exempted there).
#pragma once

#include <string_view>

namespace voxa {

/// A field whose value is a secret ("apiKey", "secret", "serverUrlSecret", "authToken", ...).
bool isSecretField(std::string_view key);
/// A field whose every value is treated as secret: "headers" (an Authorization header is one).
bool isSecretContainer(std::string_view key);
/// A field holding a URL with a secret in its path: a call's monitor.controlUrl/listenUrl.
bool isGrantingUrl(std::string_view key);

}  // namespace voxa

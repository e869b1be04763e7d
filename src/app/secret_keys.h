// The master key for secrets at rest (store/sealed_store.h), as the commands find it:
//
//   auto st = app::openSealedStore(storage, app::KeyUse::Serve, notice);  // checked, migrated
//
// Where the key comes from, first match wins:
//   1. --secret-key / VOXA_SECRET_KEY: base64 of 32 bytes; "NEW,OLD" while rotating.
//   2. <data-dir>/secret.key (mode 0600): a key ring, current key first (store::writeKeyFile).
//   3. None: `serve` generates secret.key when the database has never been sealed (and says
//      so in the log, with the key id, never the key). If the database has been sealed
//      under a key this server does not have, the start fails and says which key id it needs
//      (a second server on the same PostgreSQL without the key, a lost key file).
// Admin commands never generate a key: without one they work on a database that has never
// been sealed (serve seals it at its next start) and refuse one that has.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/app.h"
#include "store/store.h"

namespace voxa::app {

enum class KeyUse { Serve, Admin };

/// Opens and migrates the database, finds the master key, checks it against the database
/// (store::KeyMismatch if it is the wrong one), seals plaintext rows when the database has
/// never been sealed (a new one, or one from before secrets at rest). `notice` receives
/// the lines worth logging (a generated key, rows sealed). Without a key (admin, never
/// sealed): the plain store.
std::unique_ptr<store::Store> openSealedStore(const StorageConfig& storage, KeyUse use,
                                              const std::function<void(const std::string&)>& notice);

/// `voxa admin rotate-secret-key`: see app.h.
int adminRotateSecretKey(const StorageConfig& storage, std::ostream& out);

}  // namespace voxa::app

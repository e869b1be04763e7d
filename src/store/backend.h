// What both backends offer beyond the Store interface: migrations from an explicit list,
// so tests (and future tooling) can exercise upgrades and checksum refusal.
#pragma once

#include "store/migrations.h"
#include "store/store.h"

#include <vector>

namespace voxa::store {

class StoreBackend : public Store {
public:
    /// Applies `migrations` (ascending) exactly like migrate() does with the embedded ones.
    virtual void applyMigrations(const std::vector<Migration>& migrations) = 0;
    /// Rows of schema_migrations, ascending by version.
    virtual std::vector<AppliedMigration> appliedMigrations() = 0;

    void migrate() override { applyMigrations(loadMigrations(dialect())); }
};

}  // namespace voxa::store

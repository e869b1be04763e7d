#include "store/store.h"

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace voxa::store {

std::unique_ptr<Store> open(const Options& opts) {
    const std::string& url = opts.databaseUrl;
    if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        return std::make_unique<PgStore>(url);
    if (!url.empty())
        throw StoreError("unsupported databaseUrl (expected postgres:// or postgresql://)");
    return std::make_unique<SqliteStore>(opts.dataDir);
}

}  // namespace voxa::store

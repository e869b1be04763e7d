// Versioned schema migrations embedded in the binary (src/store/migrations/<dialect>/).
//
//   for (auto& m : loadMigrations("sqlite")) ...   // sorted by version
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::store {

struct Migration {
    int64_t version = 0;   // from the file name: 0001_init.sql -> 1
    std::string name;      // file name, for error messages
    std::string sql;
    std::string checksum;  // sha256Hex(sql)
};

/// Embedded migrations of `dialect` ("sqlite" | "postgres"), ascending by version.
/// Throws StoreError on a malformed file name or a duplicate version.
std::vector<Migration> loadMigrations(std::string_view dialect);

/// Builds a Migration (computes the checksum); also used by tests.
Migration makeMigration(int64_t version, std::string name, std::string sql);

/// What schema_migrations holds: (version, checksum), ascending.
struct AppliedMigration {
    int64_t version = 0;
    std::string checksum;
};

/// Throws StoreError when an applied version's checksum differs from the binary's.
void checkChecksum(const Migration& m, const std::string& appliedChecksum);

}  // namespace voxa::store

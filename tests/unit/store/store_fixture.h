// Parameterized fixture: every case runs against SQLite in memory, SQLite in a temp
// directory, and PostgreSQL when VOXA_TEST_DATABASE_URL is set (each test in its own
// schema, so test processes may run in parallel against one database).
#pragma once

#include "common/time.h"
#include "store/backend.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>
#include <unistd.h>

namespace voxa::store::test {

enum class Backend { SqliteMemory, SqliteFile, Postgres };

inline std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
    switch (info.param) {
        case Backend::SqliteMemory: return "SqliteMemory";
        case Backend::SqliteFile: return "SqliteFile";
        case Backend::Postgres: return "Postgres";
    }
    return "Unknown";
}

inline void PrintTo(Backend b, std::ostream* os) {
    *os << backendName(::testing::TestParamInfo<Backend>(b, 0));
}

inline const char* pgUrl() {
    const char* url = std::getenv("VOXA_TEST_DATABASE_URL");
    return url && *url ? url : nullptr;
}

/// Where a test database lives: a data dir for SQLite, a URL for PostgreSQL.
struct Location {
    std::string dataDir;
    std::string url;
    std::string schema;  // PostgreSQL only; also the connection's application_name
};

class StoreTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::Postgres && !pgUrl())
            GTEST_SKIP() << "VOXA_TEST_DATABASE_URL not set";
        loc_ = newLocation();
        store_ = openAt(loc_);
        store_->migrate();
        store_->insertOrg(org(orgA));
        store_->insertOrg(org(orgB));
    }

    void TearDown() override {
        store_.reset();
        for (auto& dir : dirs_) std::filesystem::remove_all(dir);
        if (!schemas_.empty()) {
            PgConn admin(pgUrl());
            for (auto& s : schemas_) admin.exec("DROP SCHEMA IF EXISTS " + s + " CASCADE");
        }
    }

    bool isMemory() const { return GetParam() == Backend::SqliteMemory; }

    /// A new, empty database for this test (cleaned up in TearDown).
    Location newLocation() {
        static std::atomic<int> counter{0};
        std::string tag = "voxa_t_" + std::to_string(::getpid()) + "_" +
                          std::to_string(counter.fetch_add(1));
        switch (GetParam()) {
            case Backend::SqliteMemory: return {":memory:", "", ""};
            case Backend::SqliteFile: {
                auto dir = std::filesystem::temp_directory_path() / tag / "data";
                dirs_.push_back(dir.parent_path().string());
                return {dir.string(), "", ""};
            }
            case Backend::Postgres: {
                PgConn admin(pgUrl());
                admin.exec("CREATE SCHEMA " + tag);
                schemas_.push_back(tag);
                std::string base = pgUrl();
                base += base.find('?') == std::string::npos ? '?' : '&';
                return {"", base + "options=-csearch_path%3D" + tag + "&application_name=" + tag,
                        tag};
            }
        }
        return {};
    }

    static std::unique_ptr<Store> openAt(const Location& loc) {
        return open(Options{.databaseUrl = loc.url, .dataDir = loc.dataDir});
    }

    StoreBackend& backend() { return dynamic_cast<StoreBackend&>(*store_); }

    static std::string ts(int seconds) { return isoFromMs(1'700'000'000'000 + seconds * 1000LL); }

    static Org org(const std::string& id) {
        return Org{.id = id, .name = "Org " + id, .createdAt = ts(0), .updatedAt = ts(0),
                   .body = R"({"id":")" + id + R"("})"};
    }

    static Resource res(const std::string& org, const std::string& id, int created,
                        const std::string& kind = "assistant") {
        return Resource{.id = id, .orgId = org, .kind = kind, .createdAt = ts(created),
                        .updatedAt = ts(created), .body = R"({"id":")" + id + R"("})",
                        .a1 = "", .a2 = "", .a3 = ""};
    }

    static std::vector<std::string> ids(const std::vector<Resource>& rows) {
        std::vector<std::string> out;
        for (auto& r : rows) out.push_back(r.id);
        return out;
    }

    static inline const std::string orgA = "org-a";
    static inline const std::string orgB = "org-b";

    Location loc_;
    std::unique_ptr<Store> store_;
    std::vector<std::string> dirs_;
    std::vector<std::string> schemas_;
};

#define VOXA_STORE_BACKENDS                                                                  \
    ::testing::Values(::voxa::store::test::Backend::SqliteMemory,                            \
                      ::voxa::store::test::Backend::SqliteFile,                              \
                      ::voxa::store::test::Backend::Postgres),                               \
        ::voxa::store::test::backendName

}  // namespace voxa::store::test

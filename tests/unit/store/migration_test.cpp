// Versioned migrations: idempotence, upgrades, atomicity and checksum refusal.
#include "unit/store/store_fixture.h"

#include "store/migrations.h"

#include <thread>

using namespace voxa::store;
using namespace voxa::store::test;

namespace {

class StoreMigrationTest : public StoreTest {};

TEST(Migrations, EmbeddedSetsAreNumberedAndParallel) {
    auto sqlite = loadMigrations("sqlite");
    auto pg = loadMigrations("postgres");
    ASSERT_FALSE(sqlite.empty());
    ASSERT_EQ(sqlite.size(), pg.size());
    for (size_t i = 0; i < sqlite.size(); ++i) {
        EXPECT_EQ(sqlite[i].version, static_cast<int64_t>(i + 1));
        EXPECT_EQ(pg[i].version, sqlite[i].version);
        EXPECT_EQ(sqlite[i].checksum.size(), 64u);
    }
    EXPECT_EQ(sqlite[0].name, "0001_init.sql");
    EXPECT_TRUE(loadMigrations("nosuchdialect").empty());
}

TEST_P(StoreMigrationTest, MigrateTwiceIsANoOp) {
    auto before = backend().appliedMigrations();
    ASSERT_EQ(before.size(), loadMigrations(store_->dialect()).size());
    store_->insertResource(res(orgA, "r1", 1));
    store_->migrate();
    store_->migrate();
    auto after = backend().appliedMigrations();
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
        EXPECT_EQ(after[i].version, before[i].version);
        EXPECT_EQ(after[i].checksum, before[i].checksum);
    }
    EXPECT_TRUE(store_->getResource("assistant", orgA, "r1"));
}

TEST_P(StoreMigrationTest, AppliesOnlyMissingVersionsInOrder) {
    auto ms = loadMigrations(store_->dialect());
    ms.push_back(makeMigration(900, "0900_a.sql", "CREATE TABLE t900 (x INTEGER)"));
    ms.push_back(makeMigration(901, "0901_b.sql", "INSERT INTO t900 (x) VALUES (1)"));
    backend().applyMigrations(ms);
    backend().applyMigrations(ms);  // the INSERT must not run twice
    auto applied = backend().appliedMigrations();
    ASSERT_EQ(applied.size(), ms.size());
    EXPECT_EQ(applied.back().version, 901);
    // A migration that would fail if t900 had two rows proves 901 ran once.
    EXPECT_NO_THROW(backend().applyMigrations(
        {makeMigration(902, "0902_c.sql", "CREATE UNIQUE INDEX t900_x ON t900 (x)")}));
}

TEST_P(StoreMigrationTest, RefusesAChangedMigration) {
    auto ms = loadMigrations(store_->dialect());
    ms[0] = makeMigration(ms[0].version, ms[0].name, ms[0].sql + "\n-- edited\n");
    try {
        backend().applyMigrations(ms);
        FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(ms[0].name), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store_->ping());  // the store stays usable
    EXPECT_NO_THROW(store_->migrate());
}

TEST_P(StoreMigrationTest, AFailingMigrationIsRolledBackAndNotRecorded) {
    auto bad = makeMigration(910, "0910_bad.sql",
                             "CREATE TABLE t910 (x INTEGER);\nSELECT * FROM no_such_table;");
    int64_t latest = loadMigrations(store_->dialect()).back().version;
    EXPECT_THROW(backend().applyMigrations({bad}), StoreError);
    EXPECT_EQ(backend().appliedMigrations().back().version, latest);
    // t910 must not exist, or creating it again would fail.
    EXPECT_NO_THROW(backend().applyMigrations(
        {makeMigration(910, "0910_good.sql", "CREATE TABLE t910 (x INTEGER)")}));
    EXPECT_EQ(backend().appliedMigrations().back().version, 910);
}

TEST_P(StoreMigrationTest, ConcurrentMigrateOnAFreshDatabase) {
    if (isMemory()) GTEST_SKIP() << "in-memory databases are private to one store";
    Location fresh = newLocation();
    auto s1 = openAt(fresh);
    auto s2 = openAt(fresh);
    std::exception_ptr e1, e2;
    std::thread t1([&] {
        try { s1->migrate(); } catch (...) { e1 = std::current_exception(); }
    });
    std::thread t2([&] {
        try { s2->migrate(); } catch (...) { e2 = std::current_exception(); }
    });
    t1.join();
    t2.join();
    if (e1) std::rethrow_exception(e1);
    if (e2) std::rethrow_exception(e2);
    EXPECT_EQ(dynamic_cast<StoreBackend&>(*s1).appliedMigrations().size(),
              loadMigrations(s1->dialect()).size());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMigrationTest, VOXA_STORE_BACKENDS);

}  // namespace

// Several threads, several Store instances (the CLI writing while the server runs).
#include "unit/store/store_fixture.h"

#include <set>
#include <thread>

using namespace voxa::store;
using namespace voxa::store::test;

namespace {

class StoreConcurrencyTest : public StoreTest {
protected:
    // Each thread inserts `perThread` resources through `stores[t % stores.size()]` and
    // reads each one back; returns the first failure message, if any.
    static std::string hammer(const std::vector<Store*>& stores, int threads, int perThread) {
        std::vector<std::thread> pool;
        std::vector<std::string> errors(threads);
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                Store& s = *stores[t % stores.size()];
                try {
                    for (int i = 0; i < perThread; ++i) {
                        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
                        s.insertResource(res(orgA, id, i));
                        if (!s.getResource("assistant", orgA, id))
                            throw std::runtime_error("lost " + id);
                    }
                } catch (const std::exception& e) {
                    errors[t] = e.what();
                }
            });
        }
        for (auto& th : pool) th.join();
        for (auto& e : errors)
            if (!e.empty()) return e;
        return {};
    }

    void expectAll(Store& s, int threads, int perThread) {
        ListQuery all;
        all.limit = -1;
        auto rows = s.listResources("assistant", orgA, all);
        std::set<std::string> got;
        for (auto& r : rows) got.insert(r.id);
        EXPECT_EQ(got.size(), static_cast<size_t>(threads * perThread));
        for (int t = 0; t < threads; ++t)
            for (int i = 0; i < perThread; ++i)
                EXPECT_TRUE(got.count("t" + std::to_string(t) + "-" + std::to_string(i)));
        EXPECT_EQ(s.countResources("assistant", orgA, {}), threads * perThread);
    }
};

TEST_P(StoreConcurrencyTest, FourThreadsTwoHundredInsertsEach) {
    ASSERT_EQ(hammer({store_.get()}, 4, 200), "");
    expectAll(*store_, 4, 200);
}

TEST_P(StoreConcurrencyTest, TwoStoresOnTheSameDatabase) {
    if (isMemory()) GTEST_SKIP() << "in-memory databases are private to one store";
    // The "CLI": a second instance on the same database, migrating while the first runs.
    auto cli = openAt(loc_);
    cli->migrate();
    Org c = org("org-cli");
    cli->insertOrg(c);
    auto seen = store_->getOrg("org-cli");
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->name, c.name);

    ASSERT_EQ(hammer({store_.get(), cli.get()}, 4, 100), "");
    expectAll(*store_, 4, 100);
    expectAll(*cli, 4, 100);
}

TEST_P(StoreConcurrencyTest, ReadersAndWritersInterleave) {
    std::atomic<bool> done{false};
    std::string readError;
    std::thread reader([&] {
        try {
            while (!done) {
                ListQuery q;
                q.limit = 10;
                store_->listResources("assistant", orgA, q);
                store_->countResources("assistant", orgA, {});
            }
        } catch (const std::exception& e) {
            readError = e.what();
        }
    });
    std::string writeError = hammer({store_.get()}, 2, 100);
    done = true;
    reader.join();
    EXPECT_EQ(writeError, "");
    EXPECT_EQ(readError, "");
    expectAll(*store_, 2, 100);
}

TEST_P(StoreConcurrencyTest, ReconnectsAfterTheServerDropsTheConnection) {
    if (GetParam() != Backend::Postgres) GTEST_SKIP() << "PostgreSQL only";
    store_->insertResource(res(orgA, "r1", 1));
    PgConn admin(pgUrl());
    int64_t killed = 0;
    admin.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              " WHERE application_name = ?",
              {loc_.schema}, [&](const SqlRow&) { ++killed; });
    ASSERT_GT(killed, 0);
    EXPECT_TRUE(store_->getResource("assistant", orgA, "r1"));
    EXPECT_TRUE(store_->ping());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConcurrencyTest, VOXA_STORE_BACKENDS);

}  // namespace

#include "net/static_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/url.h"

namespace fs = std::filesystem;
using voxa::net::directoryUnder;
using voxa::net::resolveUnder;
using voxa::net::staticRelativePath;

TEST(StaticPath, KeepsOrdinaryPaths) {
    EXPECT_EQ(staticRelativePath("/"), "");
    EXPECT_EQ(staticRelativePath("/index.html"), "index.html");
    EXPECT_EQ(staticRelativePath("/assistants/"), "assistants/");
    EXPECT_EQ(staticRelativePath("/_next/static/chunks/app/(main)/page-1a2b.js"),
              "_next/static/chunks/app/(main)/page-1a2b.js");
    EXPECT_EQ(staticRelativePath("/calls/[id]"), "calls/[id]");
}

// The traversal corpus of the review (#11), after the server's percent-decoding.
TEST(StaticPath, RefusesTraversalCorpus) {
    const char* bad[] = {
        "",  "etc/passwd", "//etc/passwd", "//proc/self/cwd/data/voxa.db", "/a//b", "/./index.html",
        "/a/./b", "/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/.env", "/.git/config",
        "/a\\..\\..\\etc\\passwd", "/..\\etc", "/C:/Windows", "/a:b",
    };
    for (const char* p : bad) EXPECT_FALSE(staticRelativePath(p)) << p;
    // Percent-encoded forms reach the resolver decoded, as the server decodes them.
    const char* encoded[] = {"/%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/a/%2E%2E/b",
                             "/%2e/index.html", "/..%2fetc", "/%5c..%5cetc", "/index.html%00.js",
                             "/a%0d%0aSet-Cookie:x", "/%c0%ae%c0%ae/etc/passwd", "/%e0%80%ae%e0%80%ae/x",
                             "/%ff"};
    for (const char* p : encoded) EXPECT_FALSE(staticRelativePath(voxa::url::percentDecode(p))) << p;
    std::string nul("/index.html\0.js", 15);
    EXPECT_FALSE(staticRelativePath(nul));
    EXPECT_FALSE(staticRelativePath("/" + std::string(voxa::net::kMaxStaticPath, 'a')));
}

class StaticRoot : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("voxa-static-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "root/sub");
        fs::create_directories(dir / "rootsibling");
        std::ofstream(dir / "root/index.html") << "index";
        std::ofstream(dir / "root/sub/page.html") << "page";
        std::ofstream(dir / "secret.txt") << "secret";
        std::ofstream(dir / "rootsibling/x.txt") << "x";
        fs::create_symlink(dir / "secret.txt", dir / "root/out-link");
        fs::create_symlink(dir / "rootsibling", dir / "root/out-dir");
        fs::create_symlink("sub/page.html", dir / "root/in-link");
        fs::create_symlink("/etc", dir / "root/etc");
        root = (dir / "root").string();
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
    std::string root;
};

TEST_F(StaticRoot, ServesRegularFilesInside) {
    EXPECT_EQ(resolveUnder(root, "index.html"), fs::canonical(dir / "root/index.html").string());
    EXPECT_EQ(resolveUnder(root, "sub/page.html"), fs::canonical(dir / "root/sub/page.html").string());
    // A symlink that stays inside the root is fine.
    EXPECT_EQ(resolveUnder(root, "in-link"), fs::canonical(dir / "root/sub/page.html").string());
    EXPECT_TRUE(directoryUnder(root, "sub"));
    EXPECT_TRUE(directoryUnder(root, ""));
}

TEST_F(StaticRoot, RefusesWhatLeavesTheRootOrIsNotAFile) {
    EXPECT_FALSE(resolveUnder(root, "sub"));             // a directory
    EXPECT_FALSE(resolveUnder(root, "missing.html"));
    EXPECT_FALSE(resolveUnder(root, "out-link"));        // symlink to a file outside
    EXPECT_FALSE(resolveUnder(root, "out-dir/x.txt"));   // through a symlinked directory
    EXPECT_FALSE(resolveUnder(root, "etc/passwd"));      // symlink to /etc
    EXPECT_FALSE(directoryUnder(root, "out-dir"));
    EXPECT_FALSE(directoryUnder(root, "etc"));
    // The lexical step refuses these first; the resolver alone must refuse them too.
    EXPECT_FALSE(resolveUnder(root, "../secret.txt"));
    EXPECT_FALSE(resolveUnder(root, "../rootsibling/x.txt"));  // shares the root's prefix
    EXPECT_FALSE(resolveUnder(root, "/etc/passwd"));
    EXPECT_FALSE(resolveUnder(root, ""));
}

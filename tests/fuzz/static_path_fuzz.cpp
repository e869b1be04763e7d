// libFuzzer target: the dashboard's static path resolver (net/static_path.h), with the
// server's percent-decoding in front. Whatever the request path, a resolved file is a
// regular file inside the canonical web root: never the secret beside it, never through
// the symlinks that point out of it.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/url.h"
#include "net/static_path.h"

namespace fs = std::filesystem;

namespace {

struct Fixture {
    std::string root;  // canonical
    std::string secret;
    Fixture() {
        fs::path dir = fs::temp_directory_path() / ("voxa-static-fuzz-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "root/_next/static");
        fs::create_directories(dir / "rootx");
        std::ofstream(dir / "root/index.html") << "i";
        std::ofstream(dir / "root/_next/static/a.js") << "a";
        std::ofstream(dir / "root/_next/static/a.js.gz") << "z";
        std::ofstream(dir / "secret") << "s";
        std::ofstream(dir / "rootx/secret") << "s";
        fs::create_symlink(dir / "secret", dir / "root/link");
        fs::create_symlink(dir / "rootx", dir / "root/x");
        fs::create_symlink("/", dir / "root/r");
        root = fs::canonical(dir / "root").string();
        secret = fs::canonical(dir / "secret").string();
    }
    ~Fixture() { fs::remove_all(fs::path(root).parent_path()); }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto& f = fixture();
    std::string raw(reinterpret_cast<const char*>(data), size);
    std::string path = voxa::url::percentDecode(raw);
    auto rel = voxa::net::staticRelativePath(path);
    if (!rel) return 0;
    // No segment of an accepted path starts with a dot, and none is empty.
    if (!rel->empty() && (rel->front() == '.' || rel->front() == '/')) std::abort();
    if (rel->find("/.") != std::string::npos || rel->find("//") != std::string::npos) std::abort();
    for (std::string r : {*rel, *rel + "index.html", *rel + ".html", *rel + ".gz"}) {
        auto file = voxa::net::resolveUnder(f.root, r);
        if (!file) continue;
        if (file->compare(0, f.root.size() + 1, f.root + "/") != 0) std::abort();
        if (*file == f.secret || !fs::is_regular_file(*file)) std::abort();
    }
    return 0;
}

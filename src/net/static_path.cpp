#include "net/static_path.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <memory>

namespace voxa::net {

std::optional<std::string> staticRelativePath(std::string_view p) {
    if (p.empty() || p.size() > kMaxStaticPath || p.front() != '/') return std::nullopt;
    for (unsigned char c : p)
        if (c < 0x20 || c >= 0x7f || c == '\\' || c == ':') return std::nullopt;
    std::string_view rest = p.substr(1);
    size_t at = 0;
    while (at < rest.size()) {
        size_t slash = rest.find('/', at);
        std::string_view seg = rest.substr(at, slash == std::string_view::npos ? slash : slash - at);
        if (seg.empty() || seg.front() == '.') return std::nullopt;  // "//", ".", "..", ".git"
        if (slash == std::string_view::npos) break;
        at = slash + 1;  // a trailing slash ends here with at == rest.size()
    }
    return std::string(rest);
}

namespace {

// realpath(3) of `path`, or nullopt (missing, a loop, too long).
std::optional<std::string> canonical(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> r(::realpath(path.c_str(), nullptr), &std::free);
    if (!r) return std::nullopt;
    return std::string(r.get());
}

// The canonical form of root/rel when it lies inside the canonical root, and its mode.
std::optional<std::string> inside(const std::string& root, std::string_view rel, mode_t& mode) {
    auto base = canonical(root);
    if (!base) return std::nullopt;
    std::string joined = *base;
    if (!rel.empty()) {
        if (joined.back() != '/') joined += '/';
        joined += rel;
    }
    auto full = canonical(joined);
    if (!full) return std::nullopt;
    std::string prefix = *base == "/" ? "/" : *base + "/";
    if (*full != *base && full->compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    struct stat st {};
    if (::stat(full->c_str(), &st) != 0) return std::nullopt;
    mode = st.st_mode;
    return full;
}

}  // namespace

std::optional<std::string> resolveUnder(const std::string& root, std::string_view rel) {
    if (rel.empty() || rel.back() == '/') return std::nullopt;
    mode_t mode = 0;
    auto full = inside(root, rel, mode);
    if (!full || !S_ISREG(mode)) return std::nullopt;
    return full;
}

bool directoryUnder(const std::string& root, std::string_view rel) {
    mode_t mode = 0;
    auto full = inside(root, rel, mode);
    return full && S_ISDIR(mode);
}

}  // namespace voxa::net

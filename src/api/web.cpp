// The dashboard's static files (web/out, a Next.js export) for GETs that match no API route:
// "/x/" serves x/index.html, "/x" a file or x.html, a directory without the slash redirects.
// Hashed assets under /_next/static are cached for good; everything else is revalidated.
// scripts/web-build.sh writes a gzip copy beside each text file (x.js.gz); clients that
// accept gzip get that copy.
#include <filesystem>

#include "api/resources.h"
#include "common/offload.h"
#include "net/static_path.h"

namespace voxa::api {

namespace fs = std::filesystem;

namespace {

const char* contentType(const fs::path& p) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},    {".json", "application/json; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},  {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".jpg", "image/jpeg"},                 {".webp", "image/webp"},
        {".woff2", "font/woff2"},               {".woff", "font/woff"},
        {".wav", "audio/wav"},                  {".map", "application/json"},
        {".webmanifest", "application/manifest+json"}};
    auto ext = p.extension().string();
    for (auto& [e, t] : kTypes)
        if (ext == e) return t;
    return "application/octet-stream";
}

struct Found {
    std::string file;      // serve this
    std::string redirect;  // or redirect here
    bool gzip = false;     // file is the gzip copy of the named file
    std::string rel;       // the file's path under the root, as requested
};

bool acceptsGzip(std::string_view acceptEncoding) {
    for (size_t at = acceptEncoding.find("gzip"); at != std::string_view::npos;
         at = acceptEncoding.find("gzip", at + 4)) {
        auto rest = acceptEncoding.substr(at + 4);
        auto comma = rest.find(',');
        auto params = rest.substr(0, comma);
        if (params.find("q=0") == std::string_view::npos || params.find("q=0.") != std::string_view::npos)
            return true;
    }
    return false;
}

// Blocking (realpath, stat). Only regular files inside `root` (net/static_path.h).
Found findFile(const std::string& root, const std::string& path) {
    auto rel = net::staticRelativePath(path);
    if (!rel) return {};
    auto at = [&](std::string r) -> Found {
        auto f = net::resolveUnder(root, r);
        return f ? Found{*f, {}, false, std::move(r)} : Found{};
    };
    if (rel->empty() || rel->back() == '/') return at(*rel + "index.html");
    if (Found f = at(*rel); !f.file.empty()) return f;
    if (net::directoryUnder(root, *rel) && net::resolveUnder(root, *rel + "/index.html"))
        return {{}, path + "/"};
    return at(*rel + ".html");
}

// The file, or its gzip copy when the client takes gzip and the copy exists.
Found find(const std::string& root, const std::string& path, bool gzip) {
    Found f = findFile(root, path);
    if (!gzip || f.file.empty()) return f;
    if (auto gz = net::resolveUnder(root, f.rel + ".gz")) {
        f.file = *gz;
        f.gzip = true;
    }
    return f;
}

}  // namespace

asio::awaitable<std::optional<net::HttpResponse>> serveWebFile(RequestContext& rc) {
    const std::string& root = rc.ctx.settings.webDir;
    if (root.empty()) co_return std::nullopt;
    std::string path = rc.req.path;
    bool gzip = acceptsGzip(rc.req.header("accept-encoding"));
    auto found = co_await offload(rc.ctx.dbPool, [&] { return find(root, path, gzip); });
    net::HttpResponse res;
    if (!found.redirect.empty()) {
        res.status = 308;
        res.contentType = "text/plain; charset=utf-8";
        res.headers.push_back({"Location", found.redirect + (rc.req.query.empty() ? "" : "?" + rc.req.query)});
        co_return res;
    }
    if (found.file.empty()) co_return std::nullopt;
    res.contentType = contentType(found.gzip ? found.file.substr(0, found.file.size() - 3) : found.file);
    res.filePath = found.file;
    if (found.gzip) res.headers.push_back({"Content-Encoding", "gzip"});
    res.headers.push_back({"Vary", "Accept-Encoding"});
    res.headers.push_back({"Cache-Control", path.starts_with("/_next/static/")
                                                ? "public, max-age=31536000, immutable"
                                                : "no-cache"});
    res.headers.push_back({"X-Content-Type-Options", "nosniff"});
    if (res.contentType.starts_with("text/html")) {
        res.headers.push_back({"X-Frame-Options", "DENY"});
        res.headers.push_back({"Referrer-Policy", "same-origin"});
    }
    co_return res;
}

}  // namespace voxa::api

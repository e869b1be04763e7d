// The dashboard's static files (web/out, a Next.js export) for GETs that match no API route:
// "/x/" serves x/index.html, "/x" a file or x.html, a directory without the slash redirects;
// a browser asking for a page that is not there gets 404.html with status 404.
// Hashed assets under /_next/static are cached for good, the browser SDK under /sdk/ for 10
// minutes; everything else is revalidated.
// scripts/web-build.sh writes a gzip copy beside each text file (x.js.gz); clients that
// accept gzip get that copy.
//
// HTML pages carry a Content-Security-Policy: scripts from this origin plus the page's own
// inline scripts (Next.js's bootstrap) by their SHA-256, computed from the file and cached by
// path, size and modification time; no plugins, no <base>, forms only to us, never framed.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <unordered_map>

#include "api/resources.h"
#include "common/crypto.h"
#include "common/offload.h"
#include "net/static_path.h"
#include "common/url.h"
#include "net/headers.h"

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
    std::string file{};      // serve this
    std::string redirect{};  // or redirect here
    bool gzip = false;       // file is the gzip copy of the named file
    std::string rel{};       // the file's path under the root, as requested
    std::string scripts{};   // HTML: CSP sources for its inline scripts
};

// " 'sha256-…'" for each distinct inline script of a page; 'unsafe-inline' past 100 of them
// (the header must stay small), nothing for a page without any.
std::string inlineScriptSources(std::string_view html) {
    std::set<std::string> hashes;
    for (size_t pos = html.find("<script"); pos != std::string_view::npos;
         pos = html.find("<script", pos)) {
        size_t tagEnd = html.find('>', pos);
        if (tagEnd == std::string_view::npos) break;
        size_t close = html.find("</script>", tagEnd + 1);
        if (close == std::string_view::npos) break;
        if (html.substr(pos, tagEnd - pos).find(" src=") == std::string_view::npos)
            hashes.insert("'sha256-" + base64Encode(sha256(html.substr(tagEnd + 1, close - tagEnd - 1))) + "'");
        if (hashes.size() > 100) return " 'unsafe-inline'";
        pos = close + 9;
    }
    std::string out;
    for (auto& h : hashes) out += " " + h;
    return out;
}

// Blocking (reads the page once per version of it).
std::string scriptSourcesOf(const std::string& htmlFile) {
    struct Entry {
        uintmax_t size;
        fs::file_time_type mtime;
        std::string sources;
    };
    static std::mutex mu;
    static std::unordered_map<std::string, Entry> cache;
    std::error_code ec;
    auto size = fs::file_size(htmlFile, ec);
    if (ec || size > 8 * 1024 * 1024) return {};
    auto mtime = fs::last_write_time(htmlFile, ec);
    if (ec) return {};
    {
        std::lock_guard lock(mu);
        auto it = cache.find(htmlFile);
        if (it != cache.end() && it->second.size == size && it->second.mtime == mtime) return it->second.sources;
    }
    std::ifstream in(htmlFile, std::ios::binary);
    std::string html(size, '\0');
    if (!in.read(html.data(), static_cast<std::streamsize>(size))) return {};
    auto sources = inlineScriptSources(html);
    std::lock_guard lock(mu);
    if (cache.size() >= 1024) cache.clear();  // the dashboard has a few dozen pages
    cache[htmlFile] = {size, mtime, sources};
    return sources;
}

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
        return f ? Found{.file = *f, .rel = std::move(r)} : Found{};
    };
    if (rel->empty() || rel->back() == '/') return at(*rel + "index.html");
    if (Found f = at(*rel); !f.file.empty()) return f;
    if (net::directoryUnder(root, *rel) && net::resolveUnder(root, *rel + "/index.html"))
        return {.redirect = path + "/"};
    return at(*rel + ".html");
}

// The file, or its gzip copy when the client takes gzip and the copy exists.
Found find(const std::string& root, const std::string& path, bool gzip) {
    Found f = findFile(root, path);
    if (f.file.ends_with(".html")) f.scripts = scriptSourcesOf(f.file);
    if (!gzip || f.file.empty()) return f;
    if (auto gz = net::resolveUnder(root, f.rel + ".gz")) {
        f.file = *gz;
        f.gzip = true;
    }
    return f;
}

// A redirect to `path` (decoded, from the request) on this server: each segment re-encoded,
// so the value holds no control character and never starts with "//" (another host).
std::string location(std::string_view path, std::string_view rawQuery) {
    std::string out;
    size_t i = 0;
    while (i < path.size()) {
        size_t slash = path.find('/', i);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > i) out += "/" + url::percentEncode(path.substr(i, slash - i));
        i = slash + 1;
    }
    if (path.ends_with('/') || out.empty()) out += '/';
    if (!rawQuery.empty() && net::validHeaderValue(rawQuery)) out += "?" + std::string(rawQuery);
    return out;
}

// The page's policy. The public URL's origin is named besides 'self' (the page may be opened
// under another name), for web calls' WebSocket (ws:/wss:) and recordings.
std::string contentSecurityPolicy(const ApiSettings& settings, const std::string& scripts) {
    std::string own = "'self'";
    if (auto origin = net::CorsPolicy::originOf(settings.publicUrl)) {
        auto socket = (origin->starts_with("https") ? "wss" : "ws") + origin->substr(origin->find(':'));
        own += " " + *origin + " " + socket;
    }
    return "default-src 'self'; script-src 'self'" + scripts +
           "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:"
           "; connect-src " + own + "; media-src " + own + " blob:; worker-src 'self' blob:"
           "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
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
        res.headers.push_back({"Location", location(found.redirect, rc.req.query)});
        co_return res;
    }
    if (found.file.empty()) {
        // A page that does not exist, asked for by a browser (a navigation accepts HTML):
        // the dashboard's own 404 page, with the status. API clients keep Vapi's JSON error.
        if (rc.req.header("accept").find("text/html") == std::string_view::npos) co_return std::nullopt;
        found = co_await offload(rc.ctx.dbPool, [&] { return find(root, "/404.html", gzip); });
        if (found.file.empty()) co_return std::nullopt;
        res.status = 404;
    }
    res.contentType = contentType(found.gzip ? found.file.substr(0, found.file.size() - 3) : found.file);
    res.filePath = found.file;
    if (found.gzip) res.headers.push_back({"Content-Encoding", "gzip"});
    res.headers.push_back({"Vary", "Accept-Encoding"});
    // The browser SDK (/sdk/voxa-web.js, widget.js, the worklets) is loaded by other
    // websites under fixed names: cached a short while (an upgrade reaches them within
    // 10 minutes), CORS for every origin (net/cors.h; module scripts and worklets need it)
    // and no Cross-Origin-Resource-Policy block for pages that require one.
    bool sdk = path.starts_with("/sdk/");
    res.headers.push_back({"Cache-Control", path.starts_with("/_next/static/")
                                                ? "public, max-age=31536000, immutable"
                                                : sdk ? "public, max-age=600" : "no-cache"});
    if (sdk) res.headers.push_back({"Cross-Origin-Resource-Policy", "cross-origin"});
    if (res.contentType.starts_with("text/html")) {
        res.headers.push_back({"Content-Security-Policy", contentSecurityPolicy(rc.ctx.settings, found.scripts)});
        res.headers.push_back({"X-Frame-Options", "DENY"});
        res.headers.push_back({"Referrer-Policy", "same-origin"});
    }
    co_return res;
}

}  // namespace voxa::api

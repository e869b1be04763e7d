#include "api/router.h"

#include <boost/json.hpp>

#include "api/errors.h"
#include "common/url.h"
#include "net/headers.h"

namespace voxa::api {

namespace json = boost::json;

static std::vector<std::string_view> splitPath(std::string_view p) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < p.size()) {
        while (i < p.size() && p[i] == '/') ++i;
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        if (j > i) out.push_back(p.substr(i, j - i));
        i = j;
    }
    return out;
}

void Router::add(std::string method, std::string pattern, RouteHandler h, Access access) {
    Route r{std::move(method), pattern, {}, std::move(h), access};
    for (auto s : splitPath(pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match m;
    auto segs = splitPath(path);
    for (auto& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        bool ok = true;
        std::vector<std::pair<std::string, std::string>> params;
        for (size_t i = 0; i < segs.size() && ok; ++i) {
            const auto& want = r.segments[i];
            if (!want.empty() && want[0] == ':')
                params.emplace_back(want.substr(1), std::string(segs[i]));
            else if (want != segs[i])
                ok = false;
        }
        if (!ok) continue;
        m.pathMatched = true;
        if (r.method != method) continue;
        m.handler = &r.handler;
        m.access = r.access;
        m.pattern = r.pattern;
        m.params = std::move(params);
        return m;
    }
    return m;
}

std::optional<std::string> RequestContext::query(std::string_view name) const {
    return url::queryParam(req.query, name);
}

std::vector<std::string> RequestContext::queryKeys() const { return url::queryKeys(req.query); }

json::object RequestContext::jsonBody() const {
    // A JSON body must say so. Forms and text/plain are what any web page may send to us
    // without a CORS preflight, so a route that reads JSON accepts nothing else.
    auto type = req.header("content-type");
    if (!type.empty() || !req.body.empty()) {
        auto media = net::mediaTypeOr(type, "");
        if (media != "application/json" && !(media.starts_with("application/") && media.ends_with("+json")))
            throw ApiError(415, "Content-Type must be application/json");
    }
    if (req.body.empty()) return {};
    json::parse_options opts;
    opts.max_depth = 64;
    std::error_code ec;
    json::value v = json::parse(req.body, ec, {}, opts);
    if (ec) throw ApiError::badRequest("Unexpected token in JSON: " + ec.message());
    if (!v.is_object()) throw ApiError::badRequest(std::vector<std::string>{"body must be an object"});
    return std::move(v.as_object());
}

net::HttpResponse jsonResponse(int status, const json::value& v) {
    return net::HttpResponse::json(status, json::serialize(v));
}

}  // namespace voxa::api

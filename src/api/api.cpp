#include "api/api.h"

#include <boost/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>

#include "api/errors.h"
#include "api/resources.h"
#include "api/router.h"
#include "api/secrets.h"
#include "auth/jwt.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/offload.h"
#include "net/resolver.h"
#include "net/server.h"
#include "webhooks/webhooks.h"

namespace voxa::api {

namespace json = boost::json;

// The method as a metrics label: the methods the API serves, anything else "other", so
// random method names cannot grow the registry (#11).
static std::string methodLabel(std::string_view m) {
    static constexpr std::string_view kKnown[] = {"GET",    "HEAD",   "POST",   "PUT",
                                                  "PATCH",  "DELETE", "OPTIONS"};
    for (auto k : kKnown)
        if (m == k) return std::string(k);
    return "other";
}

// Counters the network layer keeps (it has no prometheus of its own), read at each scrape.
static void netFamilies(std::vector<prometheus::MetricFamily>& out) {
    auto counter = [](std::vector<prometheus::ClientMetric::Label> labels, uint64_t v) {
        prometheus::ClientMetric m;
        m.label = std::move(labels);
        m.counter.value = static_cast<double>(v);
        return m;
    };
    auto accept = net::acceptErrors();
    out.push_back({.name = "voxa_accept_errors_total",
                   .help = "Accepts that failed for want of descriptors or kernel memory (each backs off)",
                   .type = prometheus::MetricType::Counter,
                   .metric = {counter({{"reason", "descriptors"}}, accept.descriptors),
                              counter({{"reason", "memory"}}, accept.memory)}});
    auto dns = net::resolverStats();
    out.push_back({.name = "voxa_dns_lookups_total",
                   .help = "Outbound name lookups by outcome (queries sent, cache hits, failed "
                           "queries, waits that timed out, lookups refused at the bound)",
                   .type = prometheus::MetricType::Counter,
                   .metric = {counter({{"result", "query"}}, dns.queries),
                              counter({{"result", "cached"}}, dns.cacheHits),
                              counter({{"result", "failed"}}, dns.failures),
                              counter({{"result", "timeout"}}, dns.timeouts),
                              counter({{"result", "refused"}}, dns.refused)}});
}

// Request counters and latency histograms by route pattern, known method and status: every
// label comes from a closed set (routes are the router's patterns, "web" or "unmatched").
class Metrics {
public:
    Metrics()
        : registry_(std::make_shared<prometheus::Registry>()),
          requests_(prometheus::BuildCounter()
                        .Name("voxa_http_requests_total")
                        .Help("HTTP requests by route, method and status")
                        .Register(*registry_)),
          latency_(prometheus::BuildHistogram()
                       .Name("voxa_http_request_duration_seconds")
                       .Help("HTTP request latency by route and method")
                       .Register(*registry_)) {}

    void observe(const std::string& method, const std::string& route, int status, double secs) {
        prometheus::Counter* c;
        prometheus::Histogram* h;
        {
            std::lock_guard lock(mu_);
            auto key = method + ' ' + route + ' ' + std::to_string(status);
            auto it = counters_.find(key);
            if (it == counters_.end())
                it = counters_
                         .emplace(key, &requests_.Add({{"method", method},
                                                       {"route", route},
                                                       {"status", std::to_string(status)}}))
                         .first;
            c = it->second;
            auto hkey = method + ' ' + route;
            auto hit = histograms_.find(hkey);
            if (hit == histograms_.end())
                hit = histograms_
                          .emplace(hkey, &latency_.Add({{"method", method}, {"route", route}},
                                                       prometheus::Histogram::BucketBoundaries{
                                                           0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}))
                          .first;
            h = hit->second;
        }
        c->Increment();
        h->Observe(secs);
    }

    /// The API's metrics, net's and the outbox's, then every other subsystem's (common/metrics.h).
    std::string text(const webhooks::Outbox* outbox) const {
        auto families = registry_->Collect();
        netFamilies(families);
        if (outbox) appendOutbox(families, *outbox);
        return prometheus::TextSerializer().Serialize(families) + metrics::text();
    }

private:
    // The webhook outbox's own counters, read at each scrape (the outbox keeps them).
    static void appendOutbox(std::vector<prometheus::MetricFamily>& out, const webhooks::Outbox& o) {
        auto add = [&](const char* name, const char* help, prometheus::MetricType type, double v) {
            prometheus::ClientMetric m;
            if (type == prometheus::MetricType::Counter) m.counter.value = v;
            else m.gauge.value = v;
            out.push_back({name, help, type, {m}});
        };
        auto& st = o.stats();
        using T = prometheus::MetricType;
        add("voxa_webhook_events_queued", "Webhook events waiting in memory for the database", T::Gauge,
            static_cast<double>(o.queued()));
        add("voxa_webhook_events_dropped_total",
            "Webhook events dropped because too many were waiting for the database", T::Counter,
            static_cast<double>(st.dropped.load()));
        add("voxa_webhook_store_errors_total",
            "Webhook outbox writes the database refused (each is retried)", T::Counter,
            static_cast<double>(st.storeErrors.load()));
        add("voxa_webhook_events_delivered_total", "Webhook events delivered", T::Counter,
            static_cast<double>(st.delivered.load()));
        add("voxa_webhook_events_failed_total", "Webhook events given up on", T::Counter,
            static_cast<double>(st.failed.load()));
    }

    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& latency_;
    std::mutex mu_;
    std::map<std::string, prometheus::Counter*> counters_;
    std::map<std::string, prometheus::Histogram*> histograms_;
};

Api::Api(ApiContext ctx)
    : ctx_(ctx), router_(std::make_unique<Router>()), metrics_(std::make_unique<Metrics>()) {
    // The resource registry: one line per resource file.
    registerHealth(*router_, *this);
    registerAssistants(*router_);
    registerTools(*router_);
    registerSquads(*router_);
    registerPhoneNumbers(*router_);
    registerFiles(*router_);
    registerCredentials(*router_);
    registerMembers(*router_);  // before /org/:id, which would match /org/member
    registerOrgs(*router_);
    registerTokens(*router_);
    registerCalls(*router_);
    registerLogs(*router_);
    registerTwilio(*router_);
    registerSessions(*router_);
    registerAnalytics(*router_);
}

Api::~Api() = default;

std::string Api::metricsText() const {
    return metrics_->text(ctx_.calls ? ctx_.calls->settings().outbox : nullptr);
}

static const char* kInvalidKey =
    "Invalid Key. Hot tip, you may be using the private key instead of the public key, or "
    "vice versa.";

static const char* kForeignOrigin =
    "Cross-origin request refused: the session cookie is only accepted from this server's own "
    "pages and the origins in --cors-origins. Use an API key (Authorization: Bearer) instead.";

// The least role a route needs, by method and pattern: reading needs a viewer, changing a
// member; keys, credentials, members and org settings need an admin. The one table of it.
static auth::Role requiredRole(std::string_view method, std::string_view route) {
    using auth::Role;
    if (route.starts_with("/auth/") || route == "/analytics") return Role::Viewer;
    if (route.starts_with("/token") || route.starts_with("/credential") ||
        (route.starts_with("/org/member") && method != "GET") ||
        route.starts_with("/org/invitation") ||
        (route == "/org/:id" && method == "PATCH"))
        return Role::Admin;
    return method == "GET" || method == "HEAD" ? Role::Viewer : Role::Member;
}

// The session cookie's value, if the request carries one.
static std::string_view sessionCookie(std::string_view cookies) {
    std::string_view name = auth::Accounts::kCookieName;
    while (!cookies.empty()) {
        auto semi = cookies.find(';');
        std::string_view c = cookies.substr(0, semi);
        while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
        if (c.size() > name.size() && c.starts_with(name) && c[name.size()] == '=')
            return c.substr(name.size() + 1);
        if (semi == std::string_view::npos) break;
        cookies.remove_prefix(semi + 1);
    }
    return {};
}

// Who is calling: an API key or a session (bearer JWT or the cookie). Throws 401.
static asio::awaitable<auth::Principal> authenticate(ApiContext& ctx, const net::HttpRequest& req) {
    auto token = auth::bearerToken(req.header("authorization"));
    bool session = !token.empty() ? auth::looksLikeJwt(token) : false;
    if (token.empty() && ctx.accounts) {
        token = sessionCookie(req.header("cookie"));
        session = !token.empty();
        // The browser attaches the cookie to requests that other pages of the same site
        // (another port, a sibling subdomain) make: changes must come from our own pages.
        if (session && net::unsafeMethod(req.method) && !ctx.settings.cors.trustedSource(req))
            throw ApiError::forbidden(kForeignOrigin);
    }
    if (token.empty()) throw ApiError::unauthorized("Unauthorized");
    std::optional<auth::Principal> p;
    std::string secret(token);
    if (session && ctx.accounts) {
        auto& accounts = *ctx.accounts;
        p = accounts.lookupCached(secret);
        if (!p) p = co_await offload(ctx.dbPool, [&] { return accounts.lookup(secret); });
        if (!p) throw ApiError::unauthorized("Invalid or expired session. Sign in again.");
    } else {
        auto& auth = ctx.auth;
        p = auth.lookupCached(secret);
        if (!p) p = co_await offload(ctx.dbPool, [&] { return auth.lookup(secret); });
        if (!p) throw ApiError::unauthorized(kInvalidKey);
    }
    co_return std::move(*p);
}

namespace {

// The monitor URLs' secret (/<callId>/<secret>/control|listen) stays out of the request log.
std::string loggedPath(const std::string& path) {
    if (path.size() < 39 || path[0] != '/' || path[37] != '/' || !isUuid(std::string_view(path).substr(1, 36)))
        return path;
    auto slash = path.find('/', 38);
    if (slash == std::string::npos || slash == 38) return path;
    std::string_view tail = std::string_view(path).substr(slash);
    if (tail != "/control" && tail != "/listen") return path;
    return path.substr(0, 38) + "[secret]" + std::string(tail);
}

}  // namespace

// Viewers and public keys: the secrets written inside resources are masked in every JSON
// answer (assistants, tools, phone numbers, calls, org), one place for all routes.
static void maskResponse(net::HttpResponse& res) {
    if (!res.filePath.empty() || !res.contentType.starts_with("application/json")) return;
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    if (ec) return;
    maskSecrets(v);
    res.body = json::serialize(v);
}

// Everyone: inline `credentials[]` keep their keys to themselves (secrets.h).
static void hideCredentialKeys(net::HttpResponse& res) {
    if (!res.filePath.empty() || !res.contentType.starts_with("application/json") ||
        res.body.find("\"credentials\"") == std::string::npos)
        return;
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    if (ec) return;
    hideInlineCredentialSecrets(v);
    res.body = json::serialize(v);
}

asio::awaitable<net::HttpResponse> Api::handle(net::HttpRequest& req) {
    auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    std::string orgId;
    net::HttpResponse res;
    std::optional<ApiError> error;
    try {
        auto m = router_->match(req.method, req.path);
        if (!m.handler) {
            // Not an API route: the dashboard's files, for GET and HEAD.
            std::optional<net::HttpResponse> file;
            if (!m.pathMatched && (req.method == "GET" || req.method == "HEAD")) {
                RequestContext rc{req, ctx_, {}, {}, route};
                file = co_await serveWebFile(rc);
            }
            if (!file) throw ApiError::notFound("Cannot " + req.method + " " + req.path);
            route = "web";
            res = std::move(*file);
        } else {
            route = m.pattern;
            RequestContext rc{req, ctx_, {}, std::move(m.params), route};
            // Sign-in, registration and resets set or concern the cookie: same rule.
            if (m.access == Access::None && route.starts_with("/auth/") &&
                net::unsafeMethod(req.method) && !ctx_.settings.cors.trustedSource(req))
                throw ApiError::forbidden(kForeignOrigin);
            if (m.access != Access::None) {
                rc.principal = co_await authenticate(ctx_, req);
                if (m.access == Access::Private && !rc.principal.isPrivate())
                    throw ApiError::unauthorized(kInvalidKey);
                orgId = rc.principal.orgId;
                auto need = requiredRole(req.method, route);
                if (rc.principal.role < need)
                    throw ApiError::forbidden(std::string("Your role (") +
                                              auth::roleName(rc.principal.role) +
                                              ") cannot do this");
            }
            res = co_await (*m.handler)(rc);
            hideCredentialKeys(res);
            if (m.access != Access::None && !maySeeSecrets(rc.principal)) maskResponse(res);
        }
    } catch (const ApiError& e) {
        error = e;
    } catch (const store::StoreError& e) {
        spdlog::error("{{\"msg\":\"storage error\",\"error\":{},\"requestId\":\"{}\"}}",
                      json::serialize(json::value(e.what())), req.requestId);
        error = ApiError::internal();
    } catch (const std::exception& e) {
        spdlog::error("{{\"msg\":\"unhandled error\",\"error\":{},\"requestId\":\"{}\"}}",
                      json::serialize(json::value(e.what())), req.requestId);
        error = ApiError::internal();
    }
    if (error) res = error->toResponse();

    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_->observe(methodLabel(req.method), route, res.status, secs);
    if (spdlog::should_log(spdlog::level::info)) {
        json::object line{{"msg", "request"},
                          {"requestId", req.requestId},
                          {"method", req.method},
                          {"path", loggedPath(req.path)},
                          {"route", route},
                          {"status", res.status},
                          {"durationUs", static_cast<int64_t>(secs * 1e6)}};
        if (!orgId.empty()) line["orgId"] = orgId;
        if (error && res.status < 500) {
            std::string what = error->what();
            if (auto shown = loggedPath(req.path); shown != req.path)
                if (auto at = what.find(req.path); at != std::string::npos) what.replace(at, req.path.size(), shown);
            line["error"] = what;
        }
        spdlog::info("{}", json::serialize(line));
    }
    co_return res;
}

}  // namespace voxa::api

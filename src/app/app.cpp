#include "app/app.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/api.h"
#include "api/schema.h"
#include "auth/accounts.h"
#include "auth/auth.h"
#include "auth/mailer.h"
#include "call/call.h"
#include "transport/transport.h"
#include "webhooks/webhooks.h"
#include "common/bounded_pool.h"
#include "common/log.h"
#include "common/time.h"
#include "net/egress.h"
#include "net/resolver.h"
#include "net/server.h"
#include "store/store.h"

namespace voxa::app {

namespace json = boost::json;

// The data dir holds the database, uploads and recordings: the server's user only. Files
// created from here on are 0600 and directories 0700 (umask); a data dir an older version
// created readable by others is closed, with its database files.
static void restrictDataDir(const std::string& dataDir) {
    namespace fs = std::filesystem;
    ::umask(077);
    if (dataDir.empty() || dataDir == ":memory:") return;
    std::error_code ec;
    fs::create_directories(dataDir, ec);
    fs::permissions(dataDir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) spdlog::warn("cannot make the data dir {} private (0700): {}", dataDir, ec.message());
    for (const char* f : {"voxa.db", "voxa.db-wal", "voxa.db-shm"}) {
        auto p = fs::path(dataDir) / f;
        if (!fs::exists(p, ec)) continue;
        fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace, ec);
        if (ec) spdlog::warn("cannot make {} private (0600): {}", p.string(), ec.message());
    }
}

static std::unique_ptr<store::Store> openStore(const StorageConfig& s) {
    restrictDataDir(s.dataDir);
    if (s.databaseUrl.empty()) std::filesystem::create_directories(s.dataDir);
    auto st = store::open({.databaseUrl = s.databaseUrl, .dataDir = s.dataDir});
    st->migrate();
    return st;
}

static bool splitListen(const std::string& listen, std::string& host, uint16_t& port) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return false;
    host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    try {
        int p = std::stoi(listen.substr(colon + 1));
        if (p < 0 || p > 65535) return false;
        port = static_cast<uint16_t>(p);
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

// The org a setup link is for when none is named: the only one there is.
static std::optional<store::Org> onlyOrg(store::Store& store) {
    auto orgs = store.listOrgs();
    if (orgs.size() != 1) return std::nullopt;
    return orgs.front();
}

static auth::AccountsOptions accountsOptions(const std::string& publicUrl,
                                             auth::RegistrationMode mode, double ratePerMinute) {
    auth::AccountsOptions o{.publicUrl = publicUrl,
                            .registration = mode,
                            .addressLimits = {.perMinute = ratePerMinute,
                                              .burst = std::max(1.0, ratePerMinute)}};
    if (ratePerMinute <= 0) o.resetLimits.perMinute = 0;  // --auth-rate-limit 0: no limits
    return o;
}

int serve(const ServeConfig& cfg) {
    initLogging(cfg.logLevel);
    std::string host;
    uint16_t port = 0;
    if (!splitListen(cfg.listen, host, port)) {
        spdlog::error("invalid --listen '{}': expected HOST:PORT", cfg.listen);
        return 2;
    }
    auto registration = auth::parseRegistrationMode(cfg.registration);
    if (!registration) {
        spdlog::error("invalid --registration '{}': expected open, invite or closed", cfg.registration);
        return 2;
    }
    // Which addresses org-configured URLs may reach: set once, before any request is made.
    try {
        net::setEgressPolicy(net::EgressPolicy(net::parseCidrList(cfg.egressAllow)));
    } catch (const std::invalid_argument& e) {
        spdlog::error("invalid --egress-allow: {}", e.what());
        flushLogging();
        return 2;
    }
    spdlog::info(R"({{"msg":"egress policy: org-configured URLs may not reach loopback, private, link-local or reserved addresses except the allowed ranges","allow":"{}"}})",
                 net::egressPolicy()->describeAllowList());
    // Every connection and call holds descriptors: take all the hard limit allows.
    auto fds = net::raiseDescriptorLimit();
    spdlog::info(R"({{"msg":"descriptor limit","soft":{},"hard":{},"softFound":{}}})", fds.now,
                 fds.hard, fds.before);
    std::unique_ptr<store::Store> store;
    try {
        store = openStore(cfg.storage);
    } catch (const std::exception& e) {
        spdlog::error("cannot open the database: {}", e.what());
        flushLogging();
        return 1;
    }
    auth::Auth auth(*store);
    (void)api::Schemas::instance();  // load the validators before the first request

    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    boost::asio::io_context outboxLoop;  // see the outbox below
    boost::asio::thread_pool dbPool(static_cast<size_t>(std::max(1, cfg.dbThreads)));
    // Model inference (STT/TTS) runs here, never on an event loop.
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    boost::asio::thread_pool compute(cfg.computeThreads > 0 ? static_cast<size_t>(cfg.computeThreads) : cores);
    // Password hashing: one or two low-priority threads and a short queue, so sign-up or
    // sign-in floods get 429 instead of taking the database pool and the cores from the API.
    BoundedPool hashPool(cores >= 8 ? 2 : 1, 8);
    std::string publicUrl = cfg.publicUrl;
    net::ServerOptions opts{.host = host,
                            .port = port,
                            .threads = cfg.threads,
                            .bodyLimit = cfg.bodyLimit,
                            .uploadLimit = cfg.uploadLimit};
    std::unique_ptr<api::Api> api;
    net::HttpServer server(opts, [&api](net::HttpRequest& r) { return api->handle(r); });
    // Outbound names resolve here (net/resolver.h). Declared after the server, so it is
    // destroyed (its thread joined) before the event loops it answers to.
    std::unique_ptr<net::ResolverInstall> dns;
    try {
        dns = net::installResolver({.servers = cfg.dnsServers});
    } catch (const std::exception& e) {
        spdlog::error("invalid --dns-servers: {}", e.what());
        flushLogging();
        return 2;
    }
    try {
        server.bind();
    } catch (const std::exception& e) {
        spdlog::error("cannot listen on {}: {}", cfg.listen, e.what());
        flushLogging();
        return 1;
    }
    // The API hands out URLs (files, calls) under the public URL.
    if (publicUrl.empty()) publicUrl = "http://" + cfg.listen.substr(0, cfg.listen.rfind(':')) +
                                       ":" + std::to_string(server.port());
    // Credentialed CORS and the cookie's CSRF check trust the public URL's origin.
    net::CorsPolicy cors;
    try {
        cors = net::CorsPolicy(cfg.corsOrigins, publicUrl);
    } catch (const std::invalid_argument& e) {
        spdlog::error("{}", e.what());
        flushLogging();
        return 2;
    }
    server.setCorsPolicy(cors);
    // Server messages: the durable outbox, delivered from a loop of its own (declared before
    // the pools, so it outlives work they still hold at shutdown).
    auto outboxWork = boost::asio::make_work_guard(outboxLoop);
    std::thread outboxThread([&outboxLoop] { outboxLoop.run(); });
    struct JoinOutbox {  // stops and joins the outbox loop on every way out of serve()
        boost::asio::io_context& loop;
        decltype(outboxWork)& work;
        std::thread& thread;
        void operator()() {
            work.reset();
            loop.stop();
            if (thread.joinable()) thread.join();
        }
        ~JoinOutbox() { (*this)(); }
    } joinOutbox{outboxLoop, outboxWork, outboxThread};
    webhooks::Outbox outbox(*store, dbPool, outboxLoop.get_executor(),
                            {.releaseClaimsAtStart = store->dialect() == "sqlite",
                             .claims = store->dialect() != "sqlite"});
    call::CallManager calls(*store, dbPool, compute,
                            {.publicUrl = publicUrl,
                             .dataDir = cfg.storage.dataDir,
                             .outbox = &outbox,
                             .twilioApiUrl = cfg.twilioApiUrl,
                             .joinTimeoutSeconds = cfg.joinTimeoutSeconds});
    auth::Accounts accounts(*store, auth, accountsOptions(publicUrl, *registration, cfg.authRateLimit));
    auth::Mailer mailer(cfg.smtpUrl, cfg.smtpFrom);
    std::string webDir = cfg.webDir;
#ifdef VOXA_SOURCE_WEB_DIR
    if (webDir.empty() && std::filesystem::exists(VOXA_SOURCE_WEB_DIR "/index.html"))
        webDir = VOXA_SOURCE_WEB_DIR;
#endif
    if (!webDir.empty() && !std::filesystem::exists(std::filesystem::path(webDir) / "index.html"))
        spdlog::warn("--web-dir {} has no index.html: build the dashboard with scripts/web-build.sh", webDir);
    api = std::make_unique<api::Api>(api::ApiContext{
        *store,
        dbPool,
        auth,
        {.publicUrl = publicUrl, .dataDir = cfg.storage.dataDir, .webDir = webDir, .cors = cors},
        &calls,
        &accounts,
        &mailer,
        &hashPool});
    server.setUpgradeHandler(transport::makeUpgradeHandler(calls, auth, dbPool));
    // Before the first request is served: the org exists and its setup link is printed.
    std::string ownerHint;
    if (cfg.bootstrap && store->listOrgs().empty()) {
        auto created = auth.createOrg("Default Org");
        // The dashboard's first owner: whoever follows this link, which only the operator sees.
        auto link = accounts.createSetupLink(created.org.id);
        std::cout << "Voxa: first start, created org " << created.org.id << "\n"
                  << "  private API key: " << created.privateKey << "\n"
                  << "  public API key:  " << created.publicKey << "\n"
                  << "  owner setup link (one use, " << (link.expiresMs - epochMs() + 1'800'000) / 3'600'000
                  << " h): " << link.url << "\n"
                  << std::flush;
        ownerHint = "open the owner setup link above";
    } else if (auto only = onlyOrg(*store); only && store->listMembers(only->id).empty()) {
        ownerHint = "no owner yet: `voxa admin setup-link --data-dir " + cfg.storage.dataDir +
                    "` prints a link";
    } else {
        ownerHint = std::string("sign in; registration: ") + auth::registrationModeName(*registration);
    }
    server.start();
    outbox.start();

    std::cout << "Voxa is listening on " << publicUrl << "  (database: " << store->dialect()
              << ")\n"
              << (webDir.empty() ? "  dashboard: not built (scripts/web-build.sh)\n"
                                 : "  dashboard: " + publicUrl + "/  (" + ownerHint + ")\n")
              << "  webhooks, tools and model URLs may not reach private or loopback addresses; "
              << "allowed anyway (--egress-allow): " << net::egressPolicy()->describeAllowList() << "\n"
              << std::flush;
    json::object ready{{"msg", "listening"},
                       {"url", "http://" + host + ":" + std::to_string(server.port())},
                       {"publicUrl", publicUrl},
                       {"database", store->dialect()}};
    spdlog::info("{}", json::serialize(ready));

    int sig = 0;
    sigwait(&sigs, &sig);
    spdlog::info("received signal {}, shutting down", sig);
    outbox.stop();
    server.stop();
    joinOutbox();
    calls.stop();  // queued synthesis of the calls cut off above is dropped, not run
    compute.join();
    hashPool.join();
    mailer.stop();  // queued mails are dropped, the one being sent is cut off
    dbPool.join();
    spdlog::info("stopped");
    flushLogging();
    return 0;
}

int adminCreateOrg(const StorageConfig& storage, const std::string& name, std::ostream& out) {
    auto store = openStore(storage);
    auth::Auth auth(*store);
    auto created = auth.createOrg(name);
    json::object line{{"orgId", created.org.id},
                      {"privateKey", created.privateKey},
                      {"publicKey", created.publicKey}};
    out << json::serialize(line) << std::endl;
    return 0;
}

int adminCreateKey(const StorageConfig& storage, const std::string& orgId,
                   const std::string& kind, std::ostream& out) {
    auto store = openStore(storage);
    if (!store->getOrg(orgId)) {
        std::cerr << "no such org: " << orgId << "\n";
        return 1;
    }
    auth::Auth auth(*store);
    auto created = auth.createKey(orgId, kind, "cli");
    json::object line{{"id", created.key.id}, {"orgId", orgId}, {"kind", kind},
                      {"key", created.secret}};
    out << json::serialize(line) << std::endl;
    return 0;
}

int adminSetupLink(const StorageConfig& storage, const std::string& orgId,
                   const std::string& publicUrl, std::ostream& out) {
    auto store = openStore(storage);
    std::string org = orgId;
    if (org.empty()) {
        auto only = onlyOrg(*store);
        if (!only) {
            std::cerr << "there are " << store->listOrgs().size()
                      << " orgs: name one with --org ID\n";
            return 1;
        }
        org = only->id;
    }
    auth::Auth auth(*store);
    auth::Accounts accounts(*store, auth, {.publicUrl = publicUrl});
    try {
        auto link = accounts.createSetupLink(org);
        json::object line{{"orgId", link.orgId},
                          {"url", link.url},
                          {"expiresAt", isoFromMs(link.expiresMs)}};
        out << json::serialize(line) << std::endl;
    } catch (const auth::AccountError& e) {
        std::cerr << e.what() << ": " << org << "\n";
        return 1;
    }
    return 0;
}

}  // namespace voxa::app

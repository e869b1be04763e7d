#include "app/app.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <iostream>
#include <thread>

#include "api/api.h"
#include "api/schema.h"
#include "app/secret_keys.h"
#include "audio/silero.h"
#include "auth/accounts.h"
#include "auth/auth.h"
#include "auth/mailer.h"
#include "call/call.h"
#include "call/lease.h"
#include "transport/transport.h"
#include "webhooks/webhooks.h"
#include "common/bounded_pool.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/time.h"
#include "net/egress.h"
#include "providers/endpoints.h"
#include "net/resolver.h"
#include "net/server.h"
#include "pipeline/completion.h"
#include "store/sealed_store.h"
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

// Migrated, with its secrets sealed under the master key (app/secret_keys.h). Admin
// commands print on stdout what scripts read: their notices go to stderr.
static std::unique_ptr<store::Store> openStore(const StorageConfig& s, KeyUse use = KeyUse::Admin) {
    restrictDataDir(s.dataDir);
    return openSealedStore(s, use, [use](const std::string& line) {
        if (use == KeyUse::Serve) spdlog::info("{}", line);
        else std::cerr << "voxa: " << line << "\n";
    });
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

// This node's id: --node-id, else the one kept in <data-dir>/node-id (made at the first
// start), so that the next start finds the calls this one leaves unfinished.
static std::string nodeIdOf(const ServeConfig& cfg) {
    if (!cfg.nodeId.empty()) return cfg.nodeId;
    const auto& dir = cfg.storage.dataDir;
    if (dir.empty() || dir == ":memory:") return newId();
    auto path = std::filesystem::path(dir) / "node-id";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (std::ifstream in(path); in) {
        std::string id;
        std::getline(in, id);
        if (!id.empty()) return id;
    }
    std::string id = newId();
    std::ofstream out(path, std::ios::trunc);
    out << id << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
    return id;
}

// SIGTERM: refuse new calls and stop accepting connections; let live calls go on for up to
// `drainSeconds` (less once none is left); end the rest and the calls nobody joined
// ("worker-shutdown") and wait until their records, recordings and reports are written and
// the reports stored in the outbox. Bounded: what is not done by then is repaired at the
// next start (call/lease.h).
static void shutDownCalls(call::CallManager& calls, webhooks::Outbox& outbox, net::HttpServer& server,
                          boost::asio::io_context& outboxLoop, double drainSeconds) {
    using clock = std::chrono::steady_clock;
    auto live = [&] { return calls.liveCount() + calls.pendingCount(); };
    calls.drain();
    server.stopAccepting();
    auto drainEnd = clock::now() + std::chrono::milliseconds(static_cast<int64_t>(drainSeconds * 1000));
    // Conversations under way may finish; a call nobody has joined yet does not hold it up.
    while (calls.liveCount() > 0 && clock::now() < drainEnd)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto loops = server.loops();
    if (!loops.empty()) calls.endAll(call::kWorkerShutdown, loops.front()->get_executor());
    // A finishing call writes its recordings, its record and its report: about a second
    // each at worst, and they run in parallel.
    auto finishEnd = clock::now() + std::chrono::seconds(10);
    while ((live() > 0 || calls.unfinished() > 0) && clock::now() < finishEnd)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (live() > 0 || calls.unfinished() > 0)
        spdlog::warn(R"({{"msg":"calls not finished at shutdown: the next start repairs them","calls":{}}})",
                     std::max<int64_t>(static_cast<int64_t>(live()), calls.unfinished()));
    // Every event enqueued so far (status updates, reports) is stored before the loops stop.
    auto stored = boost::asio::co_spawn(outboxLoop, outbox.flush(), boost::asio::use_future);
    if (stored.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        spdlog::warn(R"({"msg":"webhook events not stored at shutdown: is the database unavailable?"})");
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
    // Provider API bases the operator chose (self-hosted servers, test fakes).
    try {
        providers::setOperatorUrls(providers::parseProviderUrls(cfg.providerUrls));
    } catch (const std::invalid_argument& e) {
        spdlog::error("invalid --provider-url: {}", e.what());
        flushLogging();
        return 2;
    }
    for (auto& [name, url] : providers::operatorUrls())
        spdlog::info(R"({{"msg":"provider URL","provider":"{}","url":"{}"}})", name, url);
    spdlog::info(R"({{"msg":"egress policy: org-configured URLs may not reach loopback, private, link-local or reserved addresses except the allowed ranges","allow":"{}"}})",
                 net::egressPolicy()->describeAllowList());
    // The end-of-turn model (pipeline/completion.h) loads while the server starts.
    pipeline::preloadCompletionModel();
    // Every connection and call holds descriptors: take all the hard limit allows.
    auto fds = net::raiseDescriptorLimit();
    spdlog::info(R"({{"msg":"descriptor limit","soft":{},"hard":{},"softFound":{}}})", fds.now,
                 fds.hard, fds.before);
    std::unique_ptr<store::Store> store;
    try {
        store = openStore(cfg.storage, KeyUse::Serve);
    } catch (const store::KeyMismatch& e) {
        spdlog::error(R"({{"msg":"wrong master key for secrets at rest","error":"{}"}})", e.what());
        std::cerr << "voxa: " << e.what() << "\n";
        flushLogging();
        return 1;
    } catch (const std::invalid_argument& e) {
        spdlog::error("{}", e.what());
        flushLogging();
        return 2;
    } catch (const std::exception& e) {
        spdlog::error("cannot open the database: {}", e.what());
        flushLogging();
        return 1;
    }
    auth::Auth auth(*store);
    (void)api::Schemas::instance();  // load the validators before the first request
    // Smart endpointing's language model (~0.1 s, ~34 MB) loads on its own thread; turns
    // that end before it is ready fall back to the pause alone.
    pipeline::preloadCompletionModel();

    std::string nodeId;
    try {
        nodeId = nodeIdOf(cfg);
    } catch (const std::exception& e) {
        spdlog::error("cannot read or make the node id: {}", e.what());
        flushLogging();
        return 1;
    }

    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    // Declared in dependency order: what is declared later is destroyed first, on every way
    // out of serve(). The pools outlive everything that posts to them; the services the
    // server's handlers use (api, calls, accounts, mailer, outbox) are declared before the
    // server, so the server (whose destructor stops and joins its loops) goes first; the
    // outbox loop is joined before the outbox is destroyed.
    boost::asio::io_context outboxLoop;  // see the outbox below
    boost::asio::thread_pool dbPool(static_cast<size_t>(std::max(1, cfg.dbThreads)));
    // Model inference (STT/TTS) runs here, never on an event loop.
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    boost::asio::thread_pool compute(cfg.computeThreads > 0 ? static_cast<size_t>(cfg.computeThreads) : cores);
    // Password hashing: one or two low-priority threads and a short queue, so sign-up or
    // sign-in floods get 429 instead of taking the database pool and the cores from the API.
    BoundedPool hashPool(cores >= 8 ? 2 : 1, 8);
    std::optional<webhooks::Outbox> outbox;
    std::optional<call::CallManager> calls;
    std::optional<auth::Accounts> accounts;
    std::optional<auth::Mailer> mailer;
    std::unique_ptr<api::Api> api;
    struct JoinPools {  // on every way out: pool work ends before the services above go
        boost::asio::thread_pool& db;
        boost::asio::thread_pool& compute;
        BoundedPool& hash;
        ~JoinPools() {
            compute.join();
            hash.join();
            db.join();
        }
    } joinPools{dbPool, compute, hashPool};
    // The VAD model loads on a thread of its own at low priority, off the event loops and out
    // of the compute pool (whose speech engines the first calls need at once); a call that
    // starts before it is ready gets the WebRTC VAD (audio/silero.h). One log line says which
    // detector calls get. Joined on every way out of serve().
    std::jthread vadLoader([vad = audio::VadOptions{.engine = cfg.vad,
                                                    .files = {.onnxruntime = cfg.onnxruntimePath,
                                                              .model = cfg.sileroModelPath}}] {
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
        audio::loadVoiceDetector(vad);
    });
    // Server messages: the durable outbox, delivered from a loop of its own.
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

    std::string publicUrl = cfg.publicUrl;
    net::ServerOptions opts{.host = host,
                            .port = port,
                            .threads = cfg.threads,
                            .bodyLimit = cfg.bodyLimit,
                            .uploadLimit = cfg.uploadLimit};
    // Bound now (the port is part of the public URL) but started last, once everything its
    // handlers use exists.
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
    outbox.emplace(*store, dbPool, outboxLoop.get_executor(),
                   webhooks::OutboxOptions{.releaseClaimsAtStart = store->dialect() == "sqlite",
                                           .claims = store->dialect() != "sqlite"});
    calls.emplace(*store, dbPool, compute,
                  call::CallSettings{.publicUrl = publicUrl,
                                     .dataDir = cfg.storage.dataDir,
                                     .outbox = &*outbox,
                                     .twilioApiUrl = cfg.twilioApiUrl,
                                     .joinTimeoutSeconds = cfg.joinTimeoutSeconds,
                                     .nodeId = nodeId});
    accounts.emplace(*store, auth, accountsOptions(publicUrl, *registration, cfg.authRateLimit));
    mailer.emplace(cfg.smtpUrl, cfg.smtpFrom);
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
        &*calls,
        &*accounts,
        &*mailer,
        &hashPool});
    server.setUpgradeHandler(transport::makeUpgradeHandler(*calls, auth, dbPool));
    // Calls this node's last run left unfinished (a crash): ended, their reports stored
    // (the outbox delivers them once it starts).
    calls->repairAtStart();
    // Before the first request is served: the org exists and its setup link is printed.
    std::string ownerHint;
    if (cfg.bootstrap && store->listOrgs().empty()) {
        auto created = auth.createOrg("Default Org");
        // The dashboard's first owner: whoever follows this link, which only the operator sees.
        auto link = accounts->createSetupLink(created.org.id);
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
    outbox->start();

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
                       {"database", store->dialect()},
                       {"nodeId", nodeId}};
    spdlog::info("{}", json::serialize(ready));

    int sig = 0;
    sigwait(&sigs, &sig);
    spdlog::info(R"({{"msg":"received signal {}, shutting down","drainSeconds":{},"liveCalls":{}}})", sig,
                 cfg.drainSeconds, calls->liveCount() + calls->pendingCount());
    shutDownCalls(*calls, *outbox, server, outboxLoop, cfg.drainSeconds);
    outbox->stop();
    // A delivery under way finishes and records its outcome (bounded by the outbox's request
    // timeouts, at most 5 s here): otherwise it stays pending and is sent again at the next start.
    for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         outbox->delivering() > 0 && std::chrono::steady_clock::now() < end;)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server.stop();
    joinOutbox();
    calls->stop();  // queued synthesis of the calls cut off above is dropped, not run
    compute.join();
    hashPool.join();
    mailer->stop();  // queued mails are dropped, the one being sent is cut off
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

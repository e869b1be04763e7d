// The Vapi-compatible REST API: routing, authentication, validation, resources.
//
//   voxa::api::ApiContext ctx{store, dbPool, auth, {.publicUrl = "http://127.0.0.1:8080",
//                                                  .dataDir = "./data"}};
//   voxa::api::Api api(ctx);
//   net::HttpServer server(opts, [&](net::HttpRequest& r) { return api.handle(r); });
//
// Each resource lives in its own file (assistant.cpp, tool.cpp, ...) and is added by one
// line in the registry in api.cpp.
#pragma once
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>

#include "auth/accounts.h"
#include "auth/auth.h"
#include "auth/mailer.h"
#include "call/call.h"
#include "common/bounded_pool.h"
#include "net/cors.h"
#include "net/http.h"
#include "store/store.h"

namespace voxa::api {

struct ApiSettings {
    std::string publicUrl = "http://127.0.0.1:8080";  // how clients reach us (URLs we hand out)
    std::string dataDir = "./data";                    // files are stored under <dataDir>/files
    std::string webDir;  // the dashboard's static files, served at "/" (empty = none)
    net::CorsPolicy cors;  // which browser origins may act with the session cookie
};

struct ApiContext {
    store::Store& store;
    boost::asio::thread_pool& dbPool;  // blocking work: database, hashing, file I/O
    auth::Auth& auth;
    ApiSettings settings;
    call::CallManager* calls = nullptr;  // live calls (POST /call, control, recordings)
    auth::Accounts* accounts = nullptr;  // dashboard users and sessions (/auth, /org/member)
    auth::Mailer* mailer = nullptr;      // password-reset mails
    /// Password hashing (register, sign-in, reset): small, bounded, refuses when full.
    /// Null: account work runs on dbPool (tests).
    BoundedPool* hashPool = nullptr;
};

class Router;
class Metrics;

class Api {
public:
    explicit Api(ApiContext ctx);
    ~Api();
    boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest& req);
    /// Prometheus text exposition of the API's metrics.
    std::string metricsText() const;

private:
    ApiContext ctx_;
    std::unique_ptr<Router> router_;
    std::unique_ptr<Metrics> metrics_;
};

}  // namespace voxa::api

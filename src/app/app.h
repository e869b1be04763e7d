// The executable's commands, kept out of main.cpp so tests can call them.
//
//   voxa::app::ServeConfig cfg;  cfg.listen = "127.0.0.1:8080";  cfg.dataDir = "./data";
//   return voxa::app::serve(cfg);                    // blocks until SIGTERM/SIGINT
//   voxa::app::adminCreateOrg({.dataDir = "./data"}, "Acme", std::cout);
#pragma once
#include <cstddef>
#include <ostream>
#include <string>

namespace voxa::app {

struct StorageConfig {
    std::string dataDir = "./data";
    std::string databaseUrl;  // DATABASE_URL; empty = SQLite under dataDir
};

struct ServeConfig {
    StorageConfig storage;
    std::string listen = "127.0.0.1:8080";
    std::string publicUrl;  // default: http://<listen>
    int threads = 0;        // event loops; 0 = one per core
    int dbThreads = 4;      // blocking pool: database, hashing, file I/O
    int computeThreads = 0; // speech engines (STT/TTS); 0 = one per core
    size_t bodyLimit = 1024 * 1024;
    size_t uploadLimit = 100 * 1024 * 1024;
    std::string corsOrigins = "*";
    std::string logLevel = "info";
    /// First start with an empty database: create an org and print its keys.
    bool bootstrap = true;
};

int serve(const ServeConfig& cfg);
int adminCreateOrg(const StorageConfig& storage, const std::string& name, std::ostream& out);
int adminCreateKey(const StorageConfig& storage, const std::string& orgId,
                   const std::string& kind, std::ostream& out);

}  // namespace voxa::app

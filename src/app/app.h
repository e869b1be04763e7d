// The executable's commands, kept out of main.cpp so tests can call them.
//
//   voxa::app::ServeConfig cfg;  cfg.listen = "127.0.0.1:8080";  cfg.dataDir = "./data";
//   return voxa::app::serve(cfg);                    // blocks until SIGTERM/SIGINT
//   voxa::app::adminCreateOrg({.dataDir = "./data"}, "Acme", std::cout);
//   voxa::app::adminSetupLink({.dataDir = "./data"}, "", "http://127.0.0.1:8080", std::cout);
#pragma once
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace voxa::app {

struct StorageConfig {
    std::string dataDir = "./data";
    std::string databaseUrl;  // DATABASE_URL; empty = SQLite under dataDir
    /// Master key(s) for secrets at rest, base64 of 32 bytes, comma-separated while rotating
    /// (current first); empty = <dataDir>/secret.key (app/secret_keys.h).
    std::string secretKey;
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
    std::string twilioApiUrl = "https://api.twilio.com";  // transfers of Twilio calls
    /// "NAME=URL" provider API bases (providers/endpoints.h), each maybe comma-separated.
    std::vector<std::string> providerUrls;
    /// A call whose transport has not connected this long after its creation ends
    /// (endedReason call.in-progress.error-providerfault-transport-never-connected).
    double joinTimeoutSeconds = 60;
    /// SIGTERM: new calls are refused and live calls may go on this long (ending earlier once
    /// none is left); the rest then end with endedReason "worker-shutdown", their records,
    /// recordings and end-of-call-reports written before the process exits.
    double drainSeconds = 3;
    /// This node's id (call leases, call/lease.h): its next start repairs the calls it left
    /// unfinished. Empty: the one stored in <data-dir>/node-id, made at the first start.
    std::string nodeId;
    /// Address ranges org-configured URLs may reach although the egress policy refuses them
    /// by default (private, loopback...): "CIDR[,CIDR...]", see net/egress.h.
    std::string egressAllow;
    /// DNS servers for outbound URLs, "IP[:PORT],..." (empty: /etc/resolv.conf).
    std::string dnsServers;
    /// Voice activity detection (audio/silero.h): "silero" (the default; the WebRTC VAD while
    /// it loads and when its files are missing) or "webrtc"; empty paths = engines/ defaults.
    std::string vad = "silero";
    std::string onnxruntimePath;  // libonnxruntime.so.1 (ONNX Runtime 1.24)
    std::string sileroModelPath;  // silero_vad.onnx (v5)
    std::string logLevel = "info";
    std::string webDir;  // the dashboard; empty = <source>/web/out when it exists
    std::string smtpUrl;
    std::string smtpFrom = "voxa@localhost";
    std::string registration = "invite";  // open | invite | closed (auth::RegistrationMode)
    double authRateLimit = 30;            // account requests per minute per address; 0 = none
    /// First start with an empty database: create an org and print its keys.
    bool bootstrap = true;
};

struct TalkConfig {
    std::string url = "http://127.0.0.1:8080";
    std::string key;          // private key (VOXA_KEY)
    std::string assistantId;
    std::string wav;          // the question; any rate, mono or stereo
    std::string out;          // where to write the assistant's audio (WAV, 16 kHz)
    double leadSeconds = 3;   // listen to the first message before speaking
    double waitSeconds = 15;  // longest wait for the answer
};

int serve(const ServeConfig& cfg);
/// The one-line client: streams a WAV into a call and records the answer.
int runTalk(const TalkConfig& cfg, std::ostream& out);
int adminCreateOrg(const StorageConfig& storage, const std::string& name, std::ostream& out);
int adminCreateKey(const StorageConfig& storage, const std::string& orgId,
                   const std::string& kind, std::ostream& out);
/// Prints a fresh one-time link that makes its follower an owner of `orgId` (empty: the
/// only org); older links stop working.
int adminSetupLink(const StorageConfig& storage, const std::string& orgId,
                   const std::string& publicUrl, std::ostream& out);
/// Re-encrypts every stored secret under a new master key while servers keep running.
/// With a key file (<data-dir>/secret.key): writes a new key first in the file (the running
/// servers read it within a second), re-seals every row, then drops the old keys from the
/// file. With --secret-key / VOXA_SECRET_KEY ("NEW,OLD", the servers restarted with it
/// first): re-seals every row under NEW. Prints {"keyId","retiredKeyIds","rowsRead","rowsResealed"}.
int adminRotateSecretKey(const StorageConfig& storage, std::ostream& out);

}  // namespace voxa::app

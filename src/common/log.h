// Structured JSON logs on stderr (spdlog, async so event loops never wait on I/O).
//
//   voxa::initLogging("info");
//   spdlog::info("server listening on {}", addr);              // {"time":..,"level":"info","msg":"server listening on .."}
//   spdlog::info(R"({{"msg":"request","status":{}}})", 200);   // a JSON object is merged as fields
#pragma once
#include <string>

namespace voxa {

/// level: trace|debug|info|warn|error|off. Safe to call more than once.
void initLogging(const std::string& level, bool async = true);
void flushLogging();

}  // namespace voxa

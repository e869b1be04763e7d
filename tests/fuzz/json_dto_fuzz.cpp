// libFuzzer target: request-body validation (scripts/fuzz.sh builds and runs it).
//
// Input: byte 0 picks the schema (index modulo the list below), the rest is the JSON body,
// parsed with the same limits the server applies.
#include "api/schema.h"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

constexpr std::string_view kSchemas[] = {
    "CreateAssistantDTO",   "UpdateAssistantDTO",   "AssistantOverrides", "CreateSquadDTO",
    "UpdateSquadDTO",       "CreateToolDTO",        "UpdateToolDTO",      "CreatePhoneNumberDTO",
    "UpdatePhoneNumberDTO", "CreateCallDTO",        "UpdateCallDTO",      "UpdateFileDTO",
    "AnalyticsQueryDTO",    "CreateCredentialDTO",  "UpdateCredentialDTO",
};
constexpr size_t kMaxBody = 65536;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > kMaxBody + 1) return 0;
    const auto& schemas = voxa::api::Schemas::instance();
    std::string_view name = kSchemas[data[0] % std::size(kSchemas)];

    boost::json::parse_options opts;
    opts.max_depth = 64;
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(
        std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), ec, {}, opts);
    if (ec) return 0;

    auto errors = schemas.validate(name, body);
    if (errors.size() > 50) __builtin_trap();  // the cap is part of the contract
    for (auto& e : errors)
        if (e.empty()) __builtin_trap();
    return 0;
}

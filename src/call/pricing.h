// The documented price table behind call.cost / costBreakdown (docs/pricing.md).
//
//   auto c = priceCall(assistant, {.minutes = 1.5, .promptTokens = 900, .completionTokens = 120});
//   record["cost"] = c.total;  record["costBreakdown"] = c.breakdown;  record["costs"] = c.items;
//
// Embedded engines and the self-hosted platform cost nothing; cloud providers are priced
// from their public list prices (USD), which an operator can override later.
#pragma once
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>

namespace voxa::call {

struct Usage {
    double minutes = 0;
    int64_t promptTokens = 0;
    int64_t completionTokens = 0;
    int64_t ttsCharacters = 0;
    /// Of promptTokens: read from / written to the model provider's prompt cache.
    int64_t cachedPromptTokens = 0;
    int64_t cacheWriteTokens = 0;
};

struct Cost {
    double total = 0;
    boost::json::object breakdown;  // Vapi's costBreakdown
    boost::json::array items;       // Vapi's costs[]
};

Cost priceCall(const boost::json::object& assistant, const Usage& u);

}  // namespace voxa::call

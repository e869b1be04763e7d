// Per-org call concurrency: a call holds a slot from POST /call (or an inbound call's answer)
// until it ends; an org holding `concurrencyLimit` slots gets no more.
//
//   voxa::call::Concurrency slots;
//   int before = 0;
//   std::shared_ptr<void> slot = slots.tryAcquire(orgId, /*limit*/ 10, before);
//   if (!slot) ...;              // at the limit: Vapi's "Over Concurrency Limit"
//   pending.slot = slot;         // whoever holds the last copy frees the slot when it drops it
//
// Check and increment are one step under one lock, so two requests at limit-1 cannot both
// pass. Slots outlive the Concurrency object safely (the table is shared).
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace voxa::call {

class Concurrency {
public:
    Concurrency();
    /// A slot for one call of `orgId`, or nullptr when the org already holds `limit` slots.
    /// `activeBefore` receives how many the org held before this request.
    std::shared_ptr<void> tryAcquire(const std::string& orgId, int limit, int& activeBefore);
    /// Slots `orgId` holds now.
    int active(const std::string& orgId) const;

private:
    struct Table {
        mutable std::mutex mu;
        std::unordered_map<std::string, int> active;
    };
    std::shared_ptr<Table> table_;
};

/// An org body's `concurrencyLimit` (Vapi's default 10 when absent or not a number; never
/// below 0).
int concurrencyLimitOf(const std::string& orgBody);

}  // namespace voxa::call

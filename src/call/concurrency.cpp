#include "call/concurrency.h"

#include <boost/json.hpp>

#include <cmath>
#include <limits>

namespace voxa::call {

namespace {

// One held slot; gives it back when the last owner lets go.
struct Slot {
    std::shared_ptr<void> table;  // keeps the counts alive
    std::mutex* mu;
    std::unordered_map<std::string, int>* active;
    std::string orgId;
    ~Slot() {
        std::lock_guard lock(*mu);
        auto it = active->find(orgId);
        if (it == active->end()) return;
        if (--it->second <= 0) active->erase(it);
    }
};

}  // namespace

Concurrency::Concurrency() : table_(std::make_shared<Table>()) {}

std::shared_ptr<void> Concurrency::tryAcquire(const std::string& orgId, int limit, int& activeBefore) {
    std::lock_guard lock(table_->mu);
    auto it = table_->active.find(orgId);
    activeBefore = it == table_->active.end() ? 0 : it->second;
    if (activeBefore >= limit) return nullptr;
    ++table_->active[orgId];
    // Built in place: a temporary Slot would give the slot back when it is destroyed.
    return std::shared_ptr<Slot>(new Slot{table_, &table_->mu, &table_->active, orgId});
}

int Concurrency::active(const std::string& orgId) const {
    std::lock_guard lock(table_->mu);
    auto it = table_->active.find(orgId);
    return it == table_->active.end() ? 0 : it->second;
}

int concurrencyLimitOf(const std::string& orgBody) {
    constexpr int kDefault = 10;
    boost::system::error_code ec;
    auto v = boost::json::parse(orgBody, ec);
    if (ec || !v.is_object()) return kDefault;
    auto* l = v.as_object().if_contains("concurrencyLimit");
    if (!l || !l->is_number()) return kDefault;
    double d = l->to_number<double>();
    if (!std::isfinite(d) || d <= 0) return 0;
    if (d >= double(std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
    return static_cast<int>(std::floor(d));
}

}  // namespace voxa::call

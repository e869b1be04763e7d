#include "common/metrics.h"

#include <prometheus/text_serializer.h>

#include <mutex>

namespace voxa::metrics {

namespace {

std::mutex gMu;  // guards the family maps (registration), not the metrics themselves
std::map<std::string, prometheus::Family<prometheus::Counter>*> gCounters;
std::map<std::string, prometheus::Family<prometheus::Gauge>*> gGauges;
std::map<std::string, prometheus::Family<prometheus::Histogram>*> gHistograms;

}  // namespace

prometheus::Registry& registry() {
    static prometheus::Registry r;
    return r;
}

prometheus::Counter& counter(const std::string& name, const std::string& help,
                             const std::map<std::string, std::string>& labels) {
    std::lock_guard lock(gMu);
    auto it = gCounters.find(name);
    if (it == gCounters.end())
        it = gCounters.emplace(name, &prometheus::BuildCounter().Name(name).Help(help).Register(registry())).first;
    return it->second->Add(labels);
}

prometheus::Gauge& gauge(const std::string& name, const std::string& help,
                         const std::map<std::string, std::string>& labels) {
    std::lock_guard lock(gMu);
    auto it = gGauges.find(name);
    if (it == gGauges.end())
        it = gGauges.emplace(name, &prometheus::BuildGauge().Name(name).Help(help).Register(registry())).first;
    return it->second->Add(labels);
}

prometheus::Histogram& histogram(const std::string& name, const std::string& help,
                                 const std::map<std::string, std::string>& labels,
                                 const std::vector<double>& buckets) {
    std::lock_guard lock(gMu);
    auto it = gHistograms.find(name);
    if (it == gHistograms.end())
        it = gHistograms.emplace(name, &prometheus::BuildHistogram().Name(name).Help(help).Register(registry())).first;
    return it->second->Add(labels, buckets);
}

std::string text() { return prometheus::TextSerializer().Serialize(registry().Collect()); }

}  // namespace voxa::metrics

// Process-wide Prometheus metrics, served with the API's own on GET /metrics.
//
//   static auto& dropped = voxa::metrics::counter("voxa_call_audio_dropped_seconds_total",
//                                                 "Caller audio dropped for arriving faster than real time");
//   dropped.Increment(0.02);
//   static auto& queued = voxa::metrics::gauge("voxa_webhook_queue_events", "Events waiting to be stored");
//   queued.Set(n);
//
//   voxa::metrics::histogram("voxa_provider_to_wire_seconds", "...", {{"kind", "voice"}, {"provider", name}},
//                            {0.001, 0.005, 0.01}).Observe(seconds);
//
// Every label value comes from a closed set (never a caller's input), so a metric's series
// are bounded. Counters, gauges and histograms are thread-safe; look them up once (a function
// static) when the labels are fixed.
#pragma once
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <string>
#include <vector>

namespace voxa::metrics {

/// The registry every subsystem's metrics live in.
prometheus::Registry& registry();

/// The counter `name{labels}` (its family is created with `help` on first use).
prometheus::Counter& counter(const std::string& name, const std::string& help,
                             const std::map<std::string, std::string>& labels = {});
/// The gauge `name{labels}`.
prometheus::Gauge& gauge(const std::string& name, const std::string& help,
                         const std::map<std::string, std::string>& labels = {});

/// The histogram `name{labels}` with `buckets` (upper bounds in ascending order). A series
/// keeps the buckets it was created with: give the same ones on every call for a name.
prometheus::Histogram& histogram(const std::string& name, const std::string& help,
                                 const std::map<std::string, std::string>& labels,
                                 const std::vector<double>& buckets);

/// Prometheus text format of every registered metric.
std::string text();

}  // namespace voxa::metrics

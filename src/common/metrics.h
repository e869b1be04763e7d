// Process-wide Prometheus metrics, served with the API's own on GET /metrics.
//
//   static auto& dropped = voxa::metrics::counter("voxa_call_audio_dropped_seconds_total",
//                                                 "Caller audio dropped for arriving faster than real time");
//   dropped.Increment(0.02);
//   static auto& queued = voxa::metrics::gauge("voxa_webhook_queue_events", "Events waiting to be stored");
//   queued.Set(n);
//
// Every label value comes from a closed set (never a caller's input), so a metric's series
// are bounded. Counters and gauges are thread-safe; look them up once (a function static).
#pragma once
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <string>

namespace voxa::metrics {

/// The registry every subsystem's metrics live in.
prometheus::Registry& registry();

/// The counter `name{labels}` (its family is created with `help` on first use).
prometheus::Counter& counter(const std::string& name, const std::string& help,
                             const std::map<std::string, std::string>& labels = {});
/// The gauge `name{labels}`.
prometheus::Gauge& gauge(const std::string& name, const std::string& help,
                         const std::map<std::string, std::string>& labels = {});

/// Prometheus text format of every registered metric.
std::string text();

}  // namespace voxa::metrics

// An endpoint's metrics in Prometheus' text format (GET /metrics): requests by route and status,
// a latency histogram by route, the queue time, batch size and model time histograms; the gauges
// (model version, queue depth, ready) are read when scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace glia::serving {

/// A histogram with fixed upper bounds (cumulative buckets as Prometheus writes them).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  /// `name`_bucket{labels,le=...}, `name`_sum and `name`_count lines.
  void write(std::string& out, const std::string& name, const std::string& labels) const;
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // one per bound, then +Inf
  double sum_ = 0;
  uint64_t total_ = 0;
  mutable std::mutex mu_;
};

/// What /metrics reads at the moment it is scraped.
struct Gauges {
  std::string endpoint, model_name;
  int64_t model_version = 0, generation = 0;
  int64_t queue_rows = 0;
  int64_t instances = 0;
  bool ready = false;
};

class EndpointMetrics {
 public:
  EndpointMetrics();
  /// One answered request: its route pattern ("other" for none), status and seconds taken.
  void count_request(const std::string& route, int status, double seconds);
  void observe_queue(double seconds);
  /// One batch: its rows and the seconds the model took.
  void observe_batch(int64_t rows, double seconds);
  void count_reload(bool ok);
  /// The whole exposition (text/plain; version=0.0.4).
  std::string text(const Gauges& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram queue_, batch_, model_;
  std::atomic<uint64_t> reloads_ok_{0}, reloads_failed_{0};
};

/// A Prometheus label value, escaped (backslash, quote, newline).
std::string prometheus_label(const std::string& value);

}  // namespace glia::serving

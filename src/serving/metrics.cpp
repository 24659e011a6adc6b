// Prometheus text exposition of an endpoint's metrics (metrics.hpp).
#include "glia/serving/metrics.hpp"

#include <charconv>
#include <cstdio>

namespace glia::serving {

namespace {

const std::vector<double> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                            1,      2.5,     5,      10};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

std::string number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A bucket bound as Prometheus' clients write them ("0.0001", not "1e-04").
std::string bound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += {'\\', c};
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += value;
  ++total_;
}

uint64_t Histogram::count() const {
  std::lock_guard lock(mu_);
  return total_;
}

void Histogram::write(std::string& out, const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mu_);
  const std::string sep = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{" + sep + "le=\"" + (i < bounds_.size() ? bound(bounds_[i]) : "+Inf") +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(total_) + "\n";
}

EndpointMetrics::EndpointMetrics()
    : queue_(kLatencyBounds), batch_(kBatchBounds), model_(kLatencyBounds) {}

void EndpointMetrics::count_request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.observe(seconds);
}

void EndpointMetrics::observe_queue(double seconds) {
  queue_.observe(seconds);
}

void EndpointMetrics::observe_batch(int64_t rows, double seconds) {
  batch_.observe(static_cast<double>(rows));
  model_.observe(seconds);
}

void EndpointMetrics::count_reload(bool ok) {
  ++(ok ? reloads_ok_ : reloads_failed_);
}

std::string EndpointMetrics::text(const Gauges& g) const {
  std::string out;
  out +=
      "# HELP glia_endpoint_requests_total Requests answered, by route and HTTP status.\n"
      "# TYPE glia_endpoint_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : requests_)
    out += "glia_endpoint_requests_total{route=\"" + prometheus_label(key.first) + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP glia_endpoint_request_duration_seconds Time from request read to answer, by "
      "route.\n"
      "# TYPE glia_endpoint_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_)
    h.write(out, "glia_endpoint_request_duration_seconds",
            "route=\"" + prometheus_label(route) + "\"");
  out +=
      "# HELP glia_endpoint_queue_seconds Time a request's rows waited before their batch "
      "ran.\n"
      "# TYPE glia_endpoint_queue_seconds histogram\n";
  queue_.write(out, "glia_endpoint_queue_seconds", "");
  out +=
      "# HELP glia_endpoint_batch_size Rows per batch run by the model.\n"
      "# TYPE glia_endpoint_batch_size histogram\n";
  batch_.write(out, "glia_endpoint_batch_size", "");
  out +=
      "# HELP glia_endpoint_model_seconds Time the model took per batch.\n"
      "# TYPE glia_endpoint_model_seconds histogram\n";
  model_.write(out, "glia_endpoint_model_seconds", "");
  out +=
      "# HELP glia_endpoint_model_version The model version served (1 for the one served).\n"
      "# TYPE glia_endpoint_model_version gauge\n"
      "glia_endpoint_model_version{endpoint=\"" +
      prometheus_label(g.endpoint) + "\",model=\"" + prometheus_label(g.model_name) +
      "\",version=\"" + std::to_string(g.model_version) + "\",generation=\"" +
      std::to_string(g.generation) + "\"} 1\n";
  out +=
      "# HELP glia_endpoint_queue_depth Rows waiting for a batch.\n"
      "# TYPE glia_endpoint_queue_depth gauge\n"
      "glia_endpoint_queue_depth " +
      std::to_string(g.queue_rows) + "\n";
  out +=
      "# HELP glia_endpoint_instances Model instances serving.\n"
      "# TYPE glia_endpoint_instances gauge\n"
      "glia_endpoint_instances " +
      std::to_string(g.instances) + "\n";
  out +=
      "# HELP glia_endpoint_ready Whether the endpoint is ready to score.\n"
      "# TYPE glia_endpoint_ready gauge\n"
      "glia_endpoint_ready " +
      std::string(g.ready ? "1" : "0") + "\n";
  out +=
      "# HELP glia_endpoint_reloads_total Reloads (SIGHUP) by result.\n"
      "# TYPE glia_endpoint_reloads_total counter\n"
      "glia_endpoint_reloads_total{result=\"ok\"} " +
      std::to_string(reloads_ok_.load()) +
      "\n"
      "glia_endpoint_reloads_total{result=\"failed\"} " +
      std::to_string(reloads_failed_.load()) + "\n";
  return out;
}

}  // namespace glia::serving

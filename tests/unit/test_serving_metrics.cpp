// Prometheus text of the endpoint's histograms and counters, and the access log's line.
#include <gtest/gtest.h>

#include "glia/serving/access_log.hpp"
#include "glia/serving/metrics.hpp"

namespace glia::serving {
namespace {

TEST(ServingMetrics, HistogramBucketsAreCumulative) {
  Histogram h({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.005, 0.05, 2.0}) h.observe(v);
  std::string out;
  h.write(out, "x_seconds", "route=\"/score\"");
  EXPECT_EQ(out,
            "x_seconds_bucket{route=\"/score\",le=\"0.001\"} 2\n"
            "x_seconds_bucket{route=\"/score\",le=\"0.01\"} 3\n"
            "x_seconds_bucket{route=\"/score\",le=\"0.1\"} 4\n"
            "x_seconds_bucket{route=\"/score\",le=\"+Inf\"} 5\n"
            "x_seconds_sum{route=\"/score\"} 2.0565\n"
            "x_seconds_count{route=\"/score\"} 5\n");
}

TEST(ServingMetrics, ExpositionHasEveryFamily) {
  EndpointMetrics m;
  m.count_request("/score", 200, 0.001);
  m.count_request("/score", 200, 0.002);
  m.count_request("/score", 429, 0.0001);
  m.observe_queue(0.0002);
  m.observe_batch(7, 0.0003);
  m.count_reload(true);
  Gauges g;
  g.endpoint = "svc";
  g.model_name = "a\"b";
  g.model_version = 3;
  g.generation = 2;
  g.queue_rows = 5;
  g.ready = true;
  const std::string t = m.text(g);
  for (const char* want :
       {"# TYPE glia_endpoint_requests_total counter\n",
        "glia_endpoint_requests_total{route=\"/score\",code=\"200\"} 2\n",
        "glia_endpoint_requests_total{route=\"/score\",code=\"429\"} 1\n",
        "# TYPE glia_endpoint_request_duration_seconds histogram\n",
        "glia_endpoint_request_duration_seconds_count{route=\"/score\"} 3\n",
        "glia_endpoint_queue_seconds_count 1\n", "glia_endpoint_batch_size_bucket{le=\"8\"} 1\n",
        "glia_endpoint_batch_size_bucket{le=\"4\"} 0\n",
        "glia_endpoint_model_seconds_bucket{le=\"0.0005\"} 1\n",
        "glia_endpoint_model_version{endpoint=\"svc\",model=\"a\\\"b\",version=\"3\","
        "generation=\"2\"} 1\n",
        "glia_endpoint_queue_depth 5\n", "glia_endpoint_ready 1\n",
        "glia_endpoint_reloads_total{result=\"ok\"} 1\n"})
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
}

TEST(ServingAccessLog, OneLinePerRequest) {
  EXPECT_EQ(AccessLog::line(1764927000.25, "POST", "/score", 200, 0.000412, 3),
            "2025-12-05T09:30:00.250Z POST /score 200 0.412 3");
  // A decoded path with a space or a line break stays one field of one line.
  EXPECT_EQ(AccessLog::line(0, "GET", "/a b\nc", 404, 0.001, 0),
            "1970-01-01T00:00:00.000Z GET /a%20b\\nc 404 1.000 0");
}

}  // namespace
}  // namespace glia::serving

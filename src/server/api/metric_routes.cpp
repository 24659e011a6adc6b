// Run metrics: the latest values, one metric's history (downsampled for charts on request), and
// a batch of values logged at once (all or none; exactly once with an Idempotency-Key).
#include <cmath>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/downsample.hpp"
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"
#include "server/api/history_cache.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

constexpr size_t kMaxBatch = 10000;           // values in one POST
constexpr uint64_t kMaxBatchBody = 4u << 20;  // its body
constexpr size_t kMaxMetricNameBytes = 255;
constexpr size_t kMaxIdempotencyKey = 255;
constexpr int64_t kMaxStep = (int64_t{1} << 53) - 1;  // exact in every JSON reader
constexpr int64_t kMaxPoints = 100000;                // max_points
constexpr int64_t kDefaultPoints = 1000;              // max_points when only a method is given

std::string checked_metric_name(const nlohmann::json& item, size_t i) {
  const auto it = item.find("name");
  if (it == item.end() || !it->is_string())
    throw Error("metrics[" + std::to_string(i) + "]: expected a string 'name'");
  const std::string& name = it->get_ref<const std::string&>();
  if (name.empty() || name.size() > kMaxMetricNameBytes)
    throw Error("metrics[" + std::to_string(i) + "]: name " + quote_bytes(name) +
                ": expected 1 to " + std::to_string(kMaxMetricNameBytes) + " bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      throw Error("metrics[" + std::to_string(i) + "]: name " + quote_bytes(name) +
                  " has a control character");
  return name;
}

std::vector<platform::MetricPoint> parse_batch(const nlohmann::json& body) {
  if (!body.is_array() || body.empty() || body.size() > kMaxBatch)
    throw Error("request body: expected a JSON array of 1 to " + std::to_string(kMaxBatch) +
                " metric values {name, value, step?, wall_time?}");
  const double now = platform::now_seconds();
  std::vector<platform::MetricPoint> points;
  points.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    const nlohmann::json& item = body[i];
    const std::string at = "metrics[" + std::to_string(i) + "]";
    if (!item.is_object())
      throw Error(at + ": expected an object {name, value, step?, wall_time?}");
    for (const auto& [key, v] : item.items())
      if (key != "name" && key != "value" && key != "step" && key != "wall_time")
        throw Error(at + ": unknown field " + quote_bytes(key));
    platform::MetricPoint p;
    p.name = checked_metric_name(item, i);
    const auto value = item.find("value");
    if (value == item.end() || !value->is_number()) throw Error(at + ": expected a number 'value'");
    p.value = value->get<double>();
    p.step = platform::MetricPoint::kNextStep;
    if (const auto step = item.find("step"); step != item.end()) {
      const auto checked = json_integer(*step, 0, kMaxStep);
      if (!checked)
        throw Error(at + ": 'step' must be an integer from 0 to " + std::to_string(kMaxStep));
      p.step = *checked;
    }
    p.wall_time = now;
    if (const auto wall = item.find("wall_time"); wall != item.end()) {
      if (!wall->is_number() || !std::isfinite(wall->get<double>()) || wall->get<double>() < 0)
        throw Error(at + ": 'wall_time' must be a number of seconds since the Unix epoch");
      p.wall_time = wall->get<double>();
    }
    points.push_back(std::move(p));
  }
  return points;
}

// The request's Idempotency-Key (draft-ietf-httpapi-idempotency-key-header: a structured-field
// string, "..."; a bare value is taken too): 1-255 printable ASCII characters; empty: none.
std::optional<std::string> idempotency_key(const http::Request& r) {
  auto key = r.header("Idempotency-Key");
  if (!key || key->empty()) return std::nullopt;  // an empty value is no key
  if (key->size() >= 2 && key->front() == '"' && key->back() == '"')
    key = key->substr(1, key->size() - 2);
  bool ok = !key->empty() && key->size() <= kMaxIdempotencyKey;
  for (const char c : *key) ok = ok && c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
  if (!ok)
    throw Error("header Idempotency-Key: expected a string of 1 to " +
                std::to_string(kMaxIdempotencyKey) +
                " printable ASCII characters (no quote or backslash inside)");
  return key;
}

}  // namespace

void register_metric_routes(http::Router& router, ServerContext& context) {
  const std::string p = std::string(kWorkspacePrefix) + "/runs/{id}/metrics";
  router.add("GET", p, [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read metrics");
    allow_only(r, {});
    auto& store = s.ws().store();
    store.get_run(r.param("id"));
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, point] : store.latest_metrics(r.param("id")))
      out[name] = platform::metric_point_json(point);
    return http::Response::json(out);
  });

  router.add("GET", p + "/{name...}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read metrics");
    allow_only(r, {"max_points", "method"});
    auto max_points = query_int(r, "max_points",
                                static_cast<int64_t>(platform::kMinDownsamplePoints), kMaxPoints);
    const auto method_name = query_text(r, "method");
    if (method_name && !max_points) max_points = kDefaultPoints;  // a method alone
    const auto method = platform::parse_downsample_method(method_name.value_or("minmax"));
    auto& store = s.ws().store();
    const std::string& id = r.param("id");
    const std::string& name = r.param("name");
    store.get_run(id);
    // A downsampled answer is kept (HistoryCache), keyed by everything it depends on.
    std::optional<platform::MetricPoint> latest;
    std::string key;
    if (max_points) {
      const auto all_latest = store.latest_metrics(id);
      if (const auto it = all_latest.find(name); it != all_latest.end()) latest = it->second;
      key = s.served.name + '\0' + id + '\0' + name + '\0' + std::to_string(*max_points) + '\0' +
            method_name.value_or("minmax");
      if (latest)
        if (auto body = history_cache().find(key, *latest))
          return http::Response::text(std::move(*body), "application/json");
    }
    // A min/max downsample is read from the store's block summaries (one row per 512 points);
    // LTTB and the whole series read every point.
    nlohmann::json points = nlohmann::json::array();
    bool downsampled = false;
    size_t total = 0;
    if (max_points && method == platform::DownsampleMethod::MinMax) {
      const auto cut = store.metric_series_minmax(id, name, static_cast<size_t>(*max_points));
      total = static_cast<size_t>(cut.total);
      downsampled = total > static_cast<size_t>(*max_points);
      for (const auto& m : cut.points) points.push_back(platform::metric_point_json(m));
    } else {
      const auto series = store.metric_series(id, name);
      total = series.size();
      if (max_points && series.size() > static_cast<size_t>(*max_points)) {
        std::vector<platform::SeriesPoint> xy;
        xy.reserve(series.size());
        for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
        for (size_t i : platform::downsample(xy, static_cast<size_t>(*max_points), method))
          points.push_back(platform::metric_point_json(series[i]));
        downsampled = true;
      } else {
        for (const auto& m : series) points.push_back(platform::metric_point_json(m));
      }
    }
    if (total == 0)
      throw Error(ErrorKind::NotFound, "run '" + id + "' has no metric " + quote_bytes(name));
    nlohmann::json out = {{"run", id},
                          {"name", name},
                          {"total", total},
                          {"downsampled", downsampled},
                          {"points", std::move(points)}};
    out["method"] = downsampled ? nlohmann::json(method_name.value_or("minmax")) : nullptr;
    if (latest) {
      std::string body = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      history_cache().put(key, *latest, body);
      return http::Response::text(std::move(body), "application/json");
    }
    return http::Response::json(out);
  });

  router.add("POST", p,
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "log metrics");
               allow_only(r, {});
               auto& store = s.ws().store();
               store.get_run(r.param("id"));
               const auto points = parse_batch(r.json_body());
               const std::string answer = nlohmann::json{{"logged", points.size()}}.dump();
               if (const auto key = idempotency_key(r)) {
                 // Exactly once: the key is recorded in the batch's transaction; a retry with
                 // the same key and body gets the first answer, and nothing is written again.
                 const auto first = store.log_metrics_once(r.param("id"), points, *key,
                                                           platform::sha256_bytes(r.body), answer);
                 return http::Response::json(nlohmann::json::parse(first.value_or(answer)), 201);
               }
               store.log_metrics(r.param("id"), points);
               return http::Response::json(nlohmann::json::parse(answer), 201);
             },
             {.max_body = kMaxBatchBody});
}

}  // namespace glia::server::api

// MLflow's logging into a run: log-metric, log-parameter, set-tag, log-batch (with MLflow's
// limits), and a metric's history. Metrics are Glia metric series (timestamp ms ↔ wall_time s),
// params the run's parameters (logged once), tags the run's tags (docs/mlflow.md).
#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <string_view>

#include "server/mlflow/limits.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

void check_key(const std::string& what, const std::string& key) {
  if (key.empty()) throw Error(what + " name must not be empty");
  if (key.size() > kMaxKey)
    throw Error(what + " name '" + key.substr(0, 64) + "...' is longer than " +
                std::to_string(kMaxKey) + " characters");
  for (const char c : key) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                    c == '.' || c == ' ' || c == '/' || c == ':';
    if (!ok)
      throw Error("invalid " + what + " name '" + key +
                  "': names may only contain alphanumerics, underscores (_), dashes (-), periods "
                  "(.), spaces ( ), colons (:) and slashes (/)");
  }
  // MLflow's path_not_unique: the name read as a path must be itself, relative and below "."
  // (posixpath.normpath(key) == key): no leading or trailing '/', no empty, "." or ".." part.
  bool resolves_elsewhere = key.front() == '/' || key.back() == '/';
  for (size_t start = 0; !resolves_elsewhere && start <= key.size();) {
    const size_t slash = std::min(key.find('/', start), key.size());
    const std::string_view part(key.data() + start, slash - start);
    resolves_elsewhere = part.empty() || part == "." || part == "..";
    start = slash + 1;
  }
  if (resolves_elsewhere)
    throw Error("invalid " + what + " name '" + key +
                "': read as a path it must name itself (no leading or trailing '/', no '//', "
                "and no '.' or '..' part)");
}

void check_param(const std::string& key, const std::string& value) {
  check_key("param", key);
  // PostgreSQL's text cannot hold a NUL byte: refused here, on every store, before any write.
  if (value.find('\0') != std::string::npos)
    throw Error("param '" + key + "': value holds a NUL byte");
  if (value.size() > kMaxParamValue)
    throw Error("param '" + key + "': value longer than " + std::to_string(kMaxParamValue) +
                " characters");
}

namespace {

void check_tag_value(const std::string& what, const std::string& key, const std::string& value,
                     size_t most) {
  // PostgreSQL's text cannot hold a NUL byte: refused here, on every store, before any write.
  if (value.find('\0') != std::string::npos)
    throw Error(what + " '" + key + "': value holds a NUL byte");
  if (value.size() > most)
    throw Error(what + " '" + key + "': value longer than " + std::to_string(most) + " characters");
}

}  // namespace

void check_tag(const std::string& key, const std::string& value) {
  check_key("tag", key);
  check_tag_value("tag", key, value, kMaxTagValue);
}

void check_model_version_tag(const std::string& key, const std::string& value) {
  check_key("model version tag", key);
  check_tag_value("model version tag", key, value, kMaxModelVersionTagValue);
}

namespace {

// The run to log into: it must exist and not be deleted (MLflow's "active" lifecycle).
platform::RunRecord active_run(Call& call, const json& f) {
  platform::Store& store = call.ws.store();
  auto run = run_by_id(store, run_id_of(f));
  if (run_is_deleted(store, run.id))
    throw Error("run '" + run.id + "' must be in the 'active' state; it is deleted");
  return run;
}

platform::MetricPoint metric_of(const json& m) {
  platform::MetricPoint p;
  p.name = required_string(m, "key");
  check_key("metric", p.name);
  p.value = required_double(m, "value");
  const auto timestamp = optional_int(m, "timestamp");
  if (!timestamp) throw Error("missing value for required parameter 'timestamp'");
  p.wall_time = static_cast<double>(*timestamp) / 1000.0;
  // Any int64 step, negative ones included, as MLflow takes them; but for the one the store
  // reads as "the next step" (MetricPoint::kNextStep), which would store another step silently.
  p.step = optional_int(m, "step").value_or(0);
  if (p.step == platform::MetricPoint::kNextStep)
    throw Error("invalid value for parameter 'step': " + std::to_string(p.step) + " (expected " +
                std::to_string(platform::MetricPoint::kNextStep + 1) + " to " +
                std::to_string(std::numeric_limits<int64_t>::max()) + ")");
  return p;
}

// Params: a name logged again with another value is MLflow's INVALID_PARAMETER_VALUE. Runs
// `write` (a store call that logs params), saying so when the store refuses one.
template <typename Write>
void logging_params(Write&& write) {
  try {
    write();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Conflict)
      throw Error(std::string(e.what()) + "; changing a logged param's value is not allowed");
    throw;
  }
}

http::Response log_metric(Call& call) {
  call.contributor("log metrics");
  const json& f = call.fields();
  const auto run = active_run(call, f);
  call.ws.store().log_metrics(run.id, {metric_of(f)});
  return http::Response::json(json::object());
}

http::Response log_param(Call& call) {
  call.contributor("log params");
  const json& f = call.fields();
  const auto run = active_run(call, f);
  const std::string key = required_string(f, "key");
  const std::string value = optional_string(f, "value").value_or("");
  check_param(key, value);
  logging_params([&] { call.ws.store().log_params(run.id, {{key, value}}); });
  return http::Response::json(json::object());
}

http::Response set_tag(Call& call) {
  call.contributor("set tags");
  const json& f = call.fields();
  const auto run = active_run(call, f);
  const std::string key = required_string(f, "key");
  const std::string value = optional_string(f, "value").value_or("");
  check_tag(key, value);
  check_run_name_tag(run, {{key, value}});
  call.ws.store().set_tags(run.id, {{key, value}});
  return http::Response::json(json::object());
}

http::Response delete_tag(Call& call) {
  call.contributor("delete tags");
  const json& f = call.fields();
  const auto run = active_run(call, f);
  const std::string key = required_string(f, "key");
  if (!run.tags.count(key))
    throw Error(ErrorKind::NotFound, "no tag '" + key + "' on run '" + run.id + "'");
  throw Error("deleting run tags is not supported: Glia's run tags are set or replaced");
}

http::Response log_batch(Call& call) {
  call.contributor("log metrics, params and tags");
  const json& f = call.fields();
  const auto run = active_run(call, f);
  auto list = [&](const char* name) {
    const auto it = f.find(name);
    if (it == f.end() || it->is_null()) return json::array();
    if (!it->is_array())
      throw Error(std::string("invalid value for parameter '") + name + "': expected a list");
    return *it;
  };
  const json metrics = list("metrics"), params = list("params"), tags = list("tags");
  if (metrics.size() > kMaxMetricsPerBatch)
    throw Error("a batch takes at most " + std::to_string(kMaxMetricsPerBatch) + " metrics; got " +
                std::to_string(metrics.size()));
  if (params.size() > kMaxParamsTagsPerBatch)
    throw Error("a batch takes at most " + std::to_string(kMaxParamsTagsPerBatch) +
                " params; got " + std::to_string(params.size()));
  if (tags.size() > kMaxParamsTagsPerBatch)
    throw Error("a batch takes at most " + std::to_string(kMaxParamsTagsPerBatch) + " tags; got " +
                std::to_string(tags.size()));
  const size_t total = metrics.size() + params.size() + tags.size();
  if (total > kMaxEntitiesPerBatch)
    throw Error("a batch takes at most " + std::to_string(kMaxEntitiesPerBatch) +
                " metrics, params and tags in all; got " + std::to_string(total));
  // Everything is checked before anything is written.
  std::vector<platform::MetricPoint> points;
  for (const json& m : metrics) {
    if (!m.is_object()) throw Error("invalid value for parameter 'metrics': expected objects");
    points.push_back(metric_of(m));
  }
  std::map<std::string, std::string> param_map, tag_map;
  for (const json& p : params) {
    if (!p.is_object()) throw Error("invalid value for parameter 'params': expected objects");
    const std::string key = required_string(p, "key");
    const std::string value = optional_string(p, "value").value_or("");
    check_param(key, value);
    const auto [it, added] = param_map.emplace(key, value);
    if (!added && it->second != value)
      throw Error("duplicate param '" + key + "' with different values in one batch");
  }
  for (const json& t : tags) {
    if (!t.is_object()) throw Error("invalid value for parameter 'tags': expected objects");
    const std::string key = required_string(t, "key");
    const std::string value = optional_string(t, "value").value_or("");
    check_tag(key, value);
    tag_map[key] = value;
  }
  check_run_name_tag(run, tag_map);
  // One write, all or none: a param already logged with another value (Conflict) or a store
  // failing part way leaves nothing of the batch; the client's retry then applies it once.
  logging_params([&] { call.ws.store().log_batch(run.id, points, param_map, tag_map); });
  return http::Response::json(json::object());
}

http::Response get_history(Call& call) {
  call.reader("read metrics");
  const json& f = call.fields();
  platform::Store& store = call.ws.store();
  const auto run = run_by_id(store, run_id_of(f));
  const std::string key = required_string(f, "metric_key");
  const Page page = page_of(f, 25000, 25000);
  const auto series = store.metric_series(run.id, key);
  json out = json::array();
  for (size_t i = page.offset; i < series.size() && i < page.offset + page.size; ++i)
    out.push_back({{"key", key},
                   {"value", json_double(series[i].value)},
                   {"timestamp", to_millis(series[i].wall_time)},
                   {"step", series[i].step}});
  json body = {{"metrics", out}};
  const std::string next = page.next_token(series.size());
  if (!next.empty()) body["next_page_token"] = next;
  return http::Response::json(body);
}

}  // namespace

std::vector<Endpoint> logging_endpoints() {
  return {
      {"POST", "runs/log-metric", log_metric}, {"POST", "runs/log-parameter", log_param},
      {"POST", "runs/set-tag", set_tag},       {"POST", "runs/delete-tag", delete_tag},
      {"POST", "runs/log-batch", log_batch},   {"GET", "metrics/get-history", get_history},
  };
}

}  // namespace glia::server::mlflow

// A run as JSON: the fields of `glia run list -o json` and the details of `glia run show -o json`.
#include <ctime>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/json_views.hpp"

namespace glia::platform {

nlohmann::json run_json(const RunRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"experiment", r.experiment},
                      {"display_name", r.display_name},
                      {"status", to_string(r.status)},
                      {"created_at", iso_time(r.created_at)},
                      {"started_at", iso_time(r.started_at)},
                      {"ended_at", iso_time(r.ended_at)},
                      {"command", r.command},
                      {"compute", r.compute},
                      {"tags", r.tags}};
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  j["error"] = r.error;
  if (r.pid) j["pid"] = *r.pid;
  if (r.submitter_uid) j["submitted_by"] = {{"uid", *r.submitter_uid}, {"name", r.submitter_name}};
  if (!r.properties.empty()) j["properties"] = r.properties;
  // What a run is (command, sweep, interactive; null for a program's own run) and, for a sweep's
  // trial, its sweep: listings tell trials and sweeps apart with them.
  j["job_type"] = r.job_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.job_type);
  if (!r.parent_id.empty()) j["parent"] = r.parent_id;
  if (r.started_at) {
    const double end = r.ended_at.value_or(static_cast<double>(std::time(nullptr)));
    j["duration_seconds"] = end - *r.started_at;
  }
  return j;
}

nlohmann::json run_files_json(const std::vector<RunFile>& files) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : files)
    all.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  return all;
}

nlohmann::json metric_point_json(const MetricPoint& p) {
  return {{"step", p.step}, {"value", p.value}, {"wall_time", p.wall_time}};
}

nlohmann::json run_show_json(Workspace& ws, const std::string& id) {
  auto& store = ws.store();
  const RunRecord r = store.get_run(id);
  nlohmann::json j = run_json(r);
  j["history"] = nlohmann::json::array();
  for (const auto& h : store.status_history(id))
    j["history"].push_back({{"status", to_string(h.status)}, {"at", iso_time_ms(h.at)}});
  j["metrics"] = nlohmann::json::object();
  for (const auto& [name, p] : store.latest_metrics(id))
    j["metrics"][name] = {{"value", p.value}, {"step", p.step}};
  for (const auto& img : store.metric_images(id))
    j["images"].push_back({{"name", img.name}, {"step", img.step}, {"path", img.path}});
  j["files"] = store.run_files(id).size();
  // Parameters logged through MLflow's API (log_param): immutable, shown when there are any.
  if (const auto params = store.run_params(id); !params.empty()) j["params"] = params;
  if (!r.spec.empty()) {
    const auto spec = nlohmann::json::parse(r.spec);
    j["inputs"] = spec.value("inputs", nlohmann::json::object());
    if (spec.contains("job_file")) j["job_file"] = spec["job_file"];
    if (spec.contains("job")) j["job"] = spec["job"];
  }
  for (const auto& in : store.run_inputs(id))
    j["datasets"].push_back({{"input", in.input},
                             {"dataset", in.dataset},
                             {"version", in.version},
                             {"content_hash", in.manifest},
                             {"mode", in.mode}});
  if (!r.code_snapshot.empty()) {
    j["code_snapshot"] = r.code_snapshot;
    auto artifacts = ws.artifacts();
    j["code_files"] = artifacts.manifest(r.code_snapshot).size();
  }
  if (r.timeout) j["timeout_seconds"] = *r.timeout;
  if (!r.parent_id.empty()) {
    const auto spec = nlohmann::json::parse(r.spec);
    if (spec.contains("sweep")) {
      j["trial_index"] = spec["sweep"].value("index", int64_t{0});
      j["parameters"] = spec["sweep"].value("parameters", nlohmann::json::object());
    }
  }
  if (r.is_sweep()) j["sweep"] = sweep_json(ws, id);
  return j;
}

}  // namespace glia::platform

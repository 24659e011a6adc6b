// Datasets, models, environments and compute targets as JSON.
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/models.hpp"

namespace glia::platform {

nlohmann::json manifest_json(Workspace& ws, const std::string& manifest_sha256) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : ws.artifacts().manifest(manifest_sha256))
    j.push_back({{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}});
  return j;
}

nlohmann::json dataset_json(const DatasetVersion& d) {
  return {{"name", d.name},
          {"version", d.version},
          {"description", d.description},
          {"content_hash", d.manifest},
          {"files", d.file_count},
          {"bytes", d.total_bytes},
          {"sources", nlohmann::json::parse(d.sources)},
          {"created_at", iso_time(d.created_at)},
          {"created_by", d.created_by},
          {"archived", d.archived}};
}

nlohmann::json dataset_show_json(Workspace& ws, const DatasetVersion& d) {
  nlohmann::json j = dataset_json(d);
  j["used_by"] = nlohmann::json::array();
  for (const auto& u : ws.store().dataset_usage(d.name, d.version))
    j["used_by"].push_back({{"run", u.run_id}, {"input", u.input}, {"mode", u.mode}});
  j["file_list"] = manifest_json(ws, d.manifest);
  return j;
}

nlohmann::json model_json(const ModelVersion& m) {
  return {{"name", m.name},
          {"version", m.version},
          {"description", m.description},
          {"created_at", iso_time(m.created_at)},
          {"created_by", m.created_by},
          {"tags", m.tags},
          {"properties", m.properties},
          {"content_hash", m.manifest},
          {"files", m.file_count},
          {"bytes", m.total_bytes},
          {"run", m.run_id ? nlohmann::json(*m.run_id) : nlohmann::json(nullptr)},
          {"path", m.source_path}};
}

nlohmann::json model_show_json(Workspace& ws, const ModelVersion& m) {
  nlohmann::json j = model_json(m);
  j["file_list"] = manifest_json(ws, m.manifest);
  const ModelLineage lineage = model_lineage(ws.store(), m);
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : lineage.datasets)
    datasets.push_back({{"input", d.input},
                        {"dataset", d.dataset},
                        {"version", d.version},
                        {"ref", d.dataset + ":" + std::to_string(d.version)},
                        {"content_hash", d.manifest},
                        {"mode", d.mode}});
  j["lineage"] = {
      {"run", j["run"]},
      {"experiment", lineage.run ? nlohmann::json(lineage.run->experiment) : nullptr},
      {"run_status", lineage.run ? nlohmann::json(to_string(lineage.run->status)) : nullptr},
      {"code_snapshot", lineage.code_snapshot},
      {"datasets", datasets}};
  return j;
}

nlohmann::json environment_json(Workspace& ws, const EnvironmentVersion& v) {
  const EnvironmentSpec spec = EnvironmentSpec::from_json(nlohmann::json::parse(v.spec));
  const auto venv = built_environment(ws, v.build_hash);
  return {{"name", v.name},
          {"version", v.version},
          {"description", v.description},
          {"spec_hash", v.spec_hash},
          {"build_hash", v.build_hash},
          {"spec", nlohmann::json::parse(v.spec)},
          {"python", spec.python ? nlohmann::json(*spec.python) : nlohmann::json(nullptr)},
          {"image", spec.image},
          {"source_kind", v.source_kind},
          {"created_at", iso_time(v.created_at)},
          {"created_by", v.created_by},
          {"archived", v.archived},
          {"anonymous", v.anonymous},
          {"built", venv.has_value()},
          {"venv", venv ? nlohmann::json(venv->string()) : nlohmann::json(nullptr)}};
}

nlohmann::json environment_show_json(Workspace& ws, const EnvironmentVersion& v) {
  nlohmann::json j = environment_json(ws, v);
  j["source"] = v.source;
  return j;
}

nlohmann::json compute_json(Workspace& ws, const ComputeTarget& t) {
  RunFilter f;
  f.compute = t.name;
  f.limit = 1000000;
  f.status = RunStatus::Queued;
  const auto queued = ws.store().list_runs(f).size();
  f.status.reset();
  f.any_status = active_statuses();
  size_t active = 0;
  for (const auto& r : ws.store().list_runs(f)) active += !r.spec.empty();
  nlohmann::json j = {{"name", t.name},
                      {"type", t.type},
                      {"max_concurrent", t.max_concurrent},
                      {"description", t.description},
                      {"threads_per_job", t.threads_per_job ? nlohmann::json(*t.threads_per_job)
                                                            : nlohmann::json("share of the cores")},
                      {"created_at", iso_time(t.created_at)},
                      {"queued", queued},
                      {"running", active}};
  if (t.type == "slurm") {
    j["partition"] = t.partition;
    j["max_nodes"] = t.max_nodes ? nlohmann::json(*t.max_nodes) : nlohmann::json(nullptr);
    j["account"] = t.account;
    j["qos"] = t.qos;
    j["time_limit"] = t.time_limit;
  }
  return j;
}

}  // namespace glia::platform

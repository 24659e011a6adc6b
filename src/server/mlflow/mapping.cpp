// Glia's records as MLflow's messages (docs/mlflow.md, "Mapping"): statuses, experiment ids
// ("0" is the experiment Default), runs with their data, artifact URIs.
#include <algorithm>

#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

using platform::RunStatus;

std::string mlflow_status(RunStatus status) {
  switch (status) {
    case RunStatus::NotStarted:
    case RunStatus::Queued:
    case RunStatus::Preparing:
    case RunStatus::Starting:
      return "SCHEDULED";
    case RunStatus::Running:
    case RunStatus::Finalizing:
    case RunStatus::CancelRequested:
      return "RUNNING";
    case RunStatus::Completed:
      return "FINISHED";
    case RunStatus::Failed:
      return "FAILED";
    case RunStatus::Canceled:
      return "KILLED";
  }
  return "RUNNING";
}

RunStatus glia_status(const std::string& s) {
  if (s == "RUNNING") return RunStatus::Running;
  if (s == "SCHEDULED") return RunStatus::Queued;
  if (s == "FINISHED") return RunStatus::Completed;
  if (s == "FAILED") return RunStatus::Failed;
  if (s == "KILLED") return RunStatus::Canceled;
  throw Error("invalid run status '" + s + "' (expected RUNNING, SCHEDULED, FINISHED, FAILED or " +
              "KILLED)");
}

std::string experiment_id_text(const platform::ExperimentRecord& e) {
  return e.name == kDefaultExperiment ? "0" : std::to_string(e.id);
}

platform::ExperimentRecord experiment_by_id(platform::Store& store, const std::string& id) {
  if (id == "0") {
    if (auto e = store.find_experiment(kDefaultExperiment)) return *e;
    try {
      return store.create_experiment(kDefaultExperiment, {});
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict) throw;  // made by another request meanwhile
    }
    return *store.find_experiment(kDefaultExperiment);
  }
  int64_t n = 0;
  size_t used = 0;
  try {
    n = std::stoll(id, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != id.size() || n <= 0)
    throw Error(ErrorKind::NotFound, "no experiment with id '" + id + "'");
  const auto e = store.find_experiment_by_id(n);
  if (!e) throw Error(ErrorKind::NotFound, "no experiment with id '" + id + "'");
  return *e;
}

platform::ExperimentRecord experiment_by_name(platform::Store& store, const std::string& name) {
  const auto e = store.find_experiment(name);
  if (!e) throw Error(ErrorKind::Internal, "experiment '" + name + "' has no record");
  return *e;
}

json experiment_json(const platform::ExperimentRecord& e) {
  const std::string id = experiment_id_text(e);
  json tags = json::array();
  for (const auto& [k, v] : e.tags) tags.push_back({{"key", k}, {"value", v}});
  return {{"experiment_id", id},
          {"name", e.name},
          {"artifact_location", "mlflow-artifacts:/" + id},
          {"lifecycle_stage", e.deleted ? "deleted" : "active"},
          {"creation_time", to_millis(e.created_at)},
          {"last_update_time", to_millis(e.updated_at)},
          {"tags", tags}};
}

std::string artifact_uri(const std::string& experiment_id, const std::string& run_id) {
  return "mlflow-artifacts:/" + experiment_id + "/" + run_id + "/artifacts";
}

platform::RunRecord run_by_id(platform::Store& store, const std::string& id) {
  if (id.empty()) throw Error("missing value for required parameter 'run_id'");
  auto run = store.find_run(id);
  if (!run) throw Error(ErrorKind::NotFound, "run with id '" + id + "' not found");
  return *run;
}

json run_info_json(const platform::RunRecord& run, const std::string& exp_id, bool deleted) {
  const auto user = run.tags.find(kUserTag);
  json info = {{"run_id", run.id},
               {"run_uuid", run.id},
               {"run_name", run.display_name},
               {"experiment_id", exp_id},
               {"user_id", user != run.tags.end() ? user->second : run.submitter_name},
               {"status", mlflow_status(run.status)},
               {"start_time", to_millis(run.started_at.value_or(run.created_at))},
               {"artifact_uri", artifact_uri(exp_id, run.id)},
               {"lifecycle_stage", deleted ? "deleted" : "active"}};
  if (run.ended_at) info["end_time"] = to_millis(*run.ended_at);
  return info;
}

json run_json(platform::Store& store, const platform::RunRecord& run, const std::string& exp_id,
              bool deleted, const std::map<std::string, platform::MetricPoint>* read_metrics,
              const std::map<std::string, std::string>* read_params) {
  json metrics = json::array(), params = json::array(), tags = json::array();
  const auto latest = read_metrics ? *read_metrics : store.latest_metrics(run.id);
  const auto run_params = read_params ? *read_params : store.run_params(run.id);
  for (const auto& [name, p] : latest)
    metrics.push_back({{"key", name},
                       {"value", json_double(p.value)},
                       {"timestamp", to_millis(p.wall_time)},
                       {"step", p.step}});
  for (const auto& [k, v] : run_params) params.push_back({{"key", k}, {"value", v}});
  bool named = false;
  for (const auto& [k, v] : run.tags) {
    named = named || k == kRunNameTag;
    tags.push_back({{"key", k}, {"value", k == kRunNameTag ? run.display_name : v}});
  }
  if (!named) tags.push_back({{"key", kRunNameTag}, {"value", run.display_name}});
  return {{"info", run_info_json(run, exp_id, deleted)},
          {"data", {{"metrics", metrics}, {"params", params}, {"tags", tags}}},
          {"inputs", json::object()}};
}

}  // namespace glia::server::mlflow

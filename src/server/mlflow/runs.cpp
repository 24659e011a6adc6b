// MLflow's runs: create, get, update (status, end time), delete/restore. A run made through MLflow
// is a Glia run of its experiment, created Running at its start_time in one store write (its
// history NotStarted → Running);
// FINISHED/FAILED/KILLED end it Completed/Failed/Canceled (docs/mlflow.md).
#include <algorithm>
#include <cctype>
#include <random>

#include "glia/platform/clock.hpp"
#include "server/mlflow/limits.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

using platform::RunStatus;

namespace {

// MLflow's run ids match [a-zA-Z0-9][\w\-]{0,255}; Glia's are <experiment>_<seconds>_<hex>,
// so an experiment name's other characters ('.') become '_' in the ids of runs made here.
std::string new_run_id(const std::string& experiment) {
  std::string stem = experiment;
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return platform::make_run_id(stem);
}

std::string run_id_field(const json& f) {
  if (auto id = optional_string(f, "run_id"); id && !id->empty()) return *id;
  if (auto id = optional_string(f, "run_uuid"); id && !id->empty()) return *id;
  throw Error("missing value for required parameter 'run_id'");
}

http::Response create(Call& call) {
  const std::string user = call.contributor("create runs");
  const json& f = call.fields();
  platform::Store& store = call.ws.store();
  const auto e = experiment_by_id(store, optional_string(f, "experiment_id").value_or("0"));
  if (e.deleted)
    throw Error("experiment '" + e.name + "' (id " + experiment_id_text(e) +
                ") is deleted: restore it before creating runs in it");
  auto tags = key_values(f, "tags");
  for (const auto& [k, v] : tags) check_tag(k, v);
  std::string name = optional_string(f, "run_name").value_or("");
  if (name.empty()) {
    const auto it = tags.find(kRunNameTag);
    if (it != tags.end()) name = it->second;
  }
  if (name.size() > kMaxTagValue)
    throw Error("run_name longer than " + std::to_string(kMaxTagValue) + " characters");
  if (auto client_user = optional_string(f, "user_id");
      client_user && !client_user->empty() && !tags.count(kUserTag))
    tags[kUserTag] = *client_user;
  platform::NewRun n;
  n.experiment = e.name;
  n.id = new_run_id(e.name);
  n.display_name = name;
  n.compute = "local";
  n.tags = tags;
  n.submitter_name = user;
  const auto start = optional_int(f, "start_time");
  // Created Running at the client's start_time in one transaction (the store keeps it not before
  // the run was made: the client's clock, or the request's time in flight).
  n.start = start ? static_cast<double>(*start) / 1000.0 : platform::now_seconds();
  const platform::RunRecord run = store.create_run(n);
  return http::Response::json({{"run", run_json(store, run, experiment_id_text(e), false)}});
}

http::Response get(Call& call) {
  call.reader("read runs");
  platform::Store& store = call.ws.store();
  const auto run = run_by_id(store, run_id_field(call.fields()));
  const auto e = experiment_by_name(store, run.experiment);
  return http::Response::json(
      {{"run", run_json(store, run, experiment_id_text(e), run_is_deleted(store, run.id))}});
}

http::Response update(Call& call) {
  call.contributor("update runs");
  const json& f = call.fields();
  platform::Store& store = call.ws.store();
  auto run = run_by_id(store, run_id_field(f));
  if (auto name = optional_string(f, "run_name"); name && *name != run.display_name)
    throw Error("renaming run '" + run.id + "' is not supported (its name is '" + run.display_name +
                "')");
  if (auto status = optional_string(f, "status")) {
    const RunStatus want = glia_status(*status);
    const auto end = optional_int(f, "end_time");
    // Not before it started (a client's clock behind the server's).
    const double at = std::max(run.started_at.value_or(run.created_at),
                               end ? static_cast<double>(*end) / 1000.0 : platform::now_seconds());
    if (mlflow_status(run.status) != *status) {
      if (!run.job_type.empty())
        throw Error("run '" + run.id + "' is a Glia job: its status is its agent's, not the " +
                    "client's (it is " + to_string(run.status) + ")");
      if (!platform::can_transition(run.status, want))
        throw Error("run '" + run.id + "' cannot go from " + mlflow_status(run.status) + " to " +
                    *status + " (Glia runs do not restart once ended)");
      store.set_status(run.id, want, at);
      run = store.get_run(run.id);
    }
  }
  const auto e = experiment_by_name(store, run.experiment);
  return http::Response::json(
      {{"run_info", run_info_json(run, experiment_id_text(e), run_is_deleted(store, run.id))}});
}

http::Response set_deleted(Call& call, bool deleted) {
  call.contributor(deleted ? "delete runs" : "restore runs");
  platform::Store& store = call.ws.store();
  const auto run = run_by_id(store, run_id_field(call.fields()));
  store.set_run_deleted(run.id,
                        deleted ? std::optional<double>(platform::now_seconds()) : std::nullopt);
  return http::Response::json(json::object());
}

}  // namespace

std::string run_id_of(const json& fields) {
  return run_id_field(fields);
}

bool run_is_deleted(platform::Store& store, const std::string& run_id) {
  const auto deleted = store.deleted_runs();
  return std::find(deleted.begin(), deleted.end(), run_id) != deleted.end();
}

std::vector<Endpoint> run_endpoints() {
  return {
      {"POST", "runs/create", create},
      {"GET", "runs/get", get},
      {"POST", "runs/update", update},
      {"POST", "runs/delete", [](Call& c) { return set_deleted(c, true); }},
      {"POST", "runs/restore", [](Call& c) { return set_deleted(c, false); }},
  };
}

}  // namespace glia::server::mlflow

#include "remote/remote_store.hpp"

#include "glia/error.hpp"
#include "glia/platform/store_json.hpp"

namespace glia::remote {

using nlohmann::json;
using namespace platform;

namespace {

template <typename T>
T as(const json& j) {
  try {
    return j.get<T>();
  } catch (const json::exception&) {
    throw Error(ErrorKind::Corrupt, "the server's answer to a store call has the wrong shape");
  } catch (const Error& e) {  // a field this version does not know: a newer server
    throw Error(ErrorKind::Corrupt, std::string("the server's answer to a store call: ") +
                                        e.what() + " (is the server a newer Glia?)");
  }
}

std::vector<std::string> file_blobs(const std::vector<RunFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.sha256);
  return out;
}

}  // namespace

RemoteStore::RemoteStore(std::shared_ptr<http::Client> client, std::string workspace,
                         std::shared_ptr<BlobPusher> pusher)
    : client_(std::move(client)),
      prefix_("/api/v1/workspaces/" + workspace + "/store/"),
      pusher_(std::move(pusher)) {}

json RemoteStore::call(const std::string& method, const json& args, bool idempotent) {
  std::lock_guard lock(mutex_);
  const json answer = client_->send_json("POST", prefix_ + method, args, idempotent);
  if (!answer.is_object() || !answer.contains("result"))
    throw Error(ErrorKind::Corrupt,
                "the server's answer to store call '" + method + "' has no result");
  return answer["result"];
}

int RemoteStore::schema_version() {
  return as<int>(call("schema_version", json::object(), true));
}

RunRecord RemoteStore::create_run(const NewRun& run) {
  std::vector<std::string> manifests{run.code_snapshot};
  for (const auto& in : run.inputs) manifests.push_back(in.manifest);
  pusher_->push({}, manifests);
  return as<RunRecord>(call("create_run", {{"run", run}}, false));
}

std::optional<RunRecord> RemoteStore::find_run(const std::string& id) {
  return as<std::optional<RunRecord>>(call("find_run", {{"id", id}}, true));
}

std::vector<RunRecord> RemoteStore::list_runs(const RunFilter& filter) {
  return as<std::vector<RunRecord>>(call("list_runs", {{"filter", filter}}, true));
}

std::vector<SweepTrial> RemoteStore::sweep_trials(const std::string& sweep_id) {
  return as<std::vector<SweepTrial>>(call("sweep_trials", {{"sweep_id", sweep_id}}, true));
}

std::vector<std::string> RemoteStore::experiments() {
  return as<std::vector<std::string>>(call("experiments", json::object(), true));
}

void RemoteStore::set_status(const std::string& id, RunStatus status, double at,
                             std::optional<int> exit_code, const std::string& error) {
  (void)at;  // the server's clock is the store's
  call("set_status", {{"id", id}, {"status", status}, {"exit_code", exit_code}, {"error", error}},
       false);
}

std::vector<StatusChange> RemoteStore::status_history(const std::string& id) {
  return as<std::vector<StatusChange>>(call("status_history", {{"id", id}}, true));
}

void RemoteStore::set_process(const std::string& id, int64_t, int64_t, int64_t) {
  throw Error(ErrorKind::Permission, "run '" + id +
                                         "': a remote workspace's jobs are started by its "
                                         "server's agent, not from here");
}

bool RemoteStore::request_cancel(const std::string& id,
                                 const std::map<std::string, std::string>& properties, double at) {
  // As `glia job cancel`: the server checks the run and records the request at its own time.
  if (!properties.empty())
    throw Error(ErrorKind::Permission, "run '" + id + "': a cancel's properties are the server's");
  (void)at;
  return as<bool>(call("request_cancel", {{"id", id}}, false));
}

void RemoteStore::set_tags(const std::string& id, const std::map<std::string, std::string>& tags) {
  call("set_tags", {{"id", id}, {"tags", tags}}, true);
}

void RemoteStore::add_properties(const std::string& id,
                                 const std::map<std::string, std::string>& properties) {
  call("add_properties", {{"id", id}, {"properties", properties}}, true);
}

void RemoteStore::log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  call("log_metrics", {{"run_id", run_id}, {"points", points}}, false);
}

std::optional<std::string> RemoteStore::log_metrics_once(const std::string& run_id,
                                                         const std::vector<MetricPoint>& points,
                                                         const std::string& key,
                                                         const std::string& fingerprint,
                                                         const std::string& answer) {
  // Idempotent: sent again, the key recorded with the first try makes it write nothing.
  return as<std::optional<std::string>>(call("log_metrics_once",
                                             {{"run_id", run_id},
                                              {"points", points},
                                              {"key", key},
                                              {"fingerprint", fingerprint},
                                              {"answer", answer}},
                                             true));
}

bool RemoteStore::apply_tracking(const std::string& run_id, const TrackingBatch& batch,
                                 int64_t new_offset, std::optional<int64_t> expected_offset) {
  pusher_->push(file_blobs(batch.files));
  // With an expected offset a batch applies at most once: sending it again is safe.
  return as<bool>(call("apply_tracking",
                       {{"run_id", run_id},
                        {"batch", batch},
                        {"new_offset", new_offset},
                        {"expected_offset", expected_offset}},
                       expected_offset.has_value()));
}

int64_t RemoteStore::tracking_offset(const std::string& run_id) {
  return as<int64_t>(call("tracking_offset", {{"run_id", run_id}}, true));
}

std::vector<MetricRow> RemoteStore::metric_rows(const std::string& run_id) {
  return as<std::vector<MetricRow>>(call("metric_rows", {{"run_id", run_id}}, true));
}

std::vector<MetricImage> RemoteStore::metric_images(const std::string& run_id) {
  return as<std::vector<MetricImage>>(call("metric_images", {{"run_id", run_id}}, true));
}

void RemoteStore::add_run_files(const std::string& run_id, const std::vector<RunFile>& files) {
  pusher_->push(file_blobs(files));
  call("add_run_files", {{"run_id", run_id}, {"files", files}}, true);
}

std::vector<RunFile> RemoteStore::run_files(const std::string& run_id) {
  return as<std::vector<RunFile>>(call("run_files", {{"run_id", run_id}}, true));
}

DatasetVersion RemoteStore::create_dataset_version(const DatasetVersion& d, bool force_new,
                                                   bool* created) {
  pusher_->push({}, {d.manifest});
  const json r = call("create_dataset_version", {{"dataset", d}, {"force_new", force_new}}, false);
  if (created) *created = as<bool>(r.at("created"));
  return as<DatasetVersion>(r.at("version"));
}

std::optional<DatasetVersion> RemoteStore::find_dataset(const std::string& name,
                                                        std::optional<int64_t> version) {
  return as<std::optional<DatasetVersion>>(
      call("find_dataset", {{"name", name}, {"version", version}}, true));
}

std::vector<DatasetVersion> RemoteStore::list_datasets() {
  return as<std::vector<DatasetVersion>>(call("list_datasets", json::object(), true));
}

void RemoteStore::set_dataset_archived(const std::string& name, int64_t version, bool archived) {
  call("set_dataset_archived", {{"name", name}, {"version", version}, {"archived", archived}},
       true);
}

void RemoteStore::add_run_inputs(const std::vector<RunInput>& inputs) {
  std::vector<std::string> manifests;
  for (const auto& in : inputs) manifests.push_back(in.manifest);
  pusher_->push({}, manifests);
  call("add_run_inputs", {{"inputs", inputs}}, false);
}

std::vector<RunInput> RemoteStore::run_inputs(const std::string& run_id) {
  return as<std::vector<RunInput>>(call("run_inputs", {{"run_id", run_id}}, true));
}

std::vector<RunInput> RemoteStore::dataset_usage(const std::string& name, int64_t version) {
  return as<std::vector<RunInput>>(
      call("dataset_usage", {{"name", name}, {"version", version}}, true));
}

ModelVersion RemoteStore::create_model_version(const ModelVersion& m) {
  pusher_->push({}, {m.manifest});
  return as<ModelVersion>(call("create_model_version", {{"model", m}}, false));
}

std::optional<ModelVersion> RemoteStore::find_model(const std::string& name,
                                                    std::optional<int64_t> version) {
  return as<std::optional<ModelVersion>>(
      call("find_model", {{"name", name}, {"version", version}}, true));
}

std::vector<ModelVersion> RemoteStore::list_models(const ModelFilter& filter) {
  return as<std::vector<ModelVersion>>(call("list_models", {{"filter", filter}}, true));
}

void RemoteStore::delete_model_version(const std::string& name, int64_t version) {
  call("delete_model_version", {{"name", name}, {"version", version}}, false);
}

EnvironmentVersion RemoteStore::create_environment_version(const EnvironmentVersion& e,
                                                           bool* created) {
  const json r = call("create_environment_version", {{"environment", e}}, false);
  if (created) *created = as<bool>(r.at("created"));
  return as<EnvironmentVersion>(r.at("version"));
}

std::optional<EnvironmentVersion> RemoteStore::find_environment(const std::string& name,
                                                                std::optional<int64_t> version) {
  return as<std::optional<EnvironmentVersion>>(
      call("find_environment", {{"name", name}, {"version", version}}, true));
}

std::vector<EnvironmentVersion> RemoteStore::list_environments() {
  return as<std::vector<EnvironmentVersion>>(call("list_environments", json::object(), true));
}

void RemoteStore::set_environment_archived(const std::string& name, int64_t version,
                                           bool archived) {
  call("set_environment_archived", {{"name", name}, {"version", version}, {"archived", archived}},
       true);
}

User RemoteStore::create_user(const User& user) {
  return as<User>(call("create_user", {{"user", user}}, false));
}

std::optional<User> RemoteStore::find_user(const std::string& name) {
  return as<std::optional<User>>(call("find_user", {{"name", name}}, true));
}

std::vector<User> RemoteStore::list_users() {
  return as<std::vector<User>>(call("list_users", json::object(), true));
}

void RemoteStore::update_user(const User& user) {
  call("update_user", {{"user", user}}, true);
}

ApiToken RemoteStore::create_token(const ApiToken& token) {
  return as<ApiToken>(call("create_token", {{"token", token}}, false));
}

std::optional<ApiToken> RemoteStore::find_token(const std::string& id) {
  return as<std::optional<ApiToken>>(call("find_token", {{"id", id}}, true));
}

std::vector<ApiToken> RemoteStore::list_tokens(const std::optional<std::string>& user) {
  return as<std::vector<ApiToken>>(call("list_tokens", {{"user", user}}, true));
}

bool RemoteStore::revoke_token(const std::string& id, double at) {
  (void)at;  // the server's clock
  return as<bool>(call("revoke_token", {{"id", id}}, false));
}

ExperimentRecord RemoteStore::create_experiment(const std::string& name,
                                                const std::map<std::string, std::string>& tags) {
  return as<ExperimentRecord>(call("create_experiment", {{"name", name}, {"tags", tags}}, false));
}

std::optional<ExperimentRecord> RemoteStore::find_experiment(const std::string& name) {
  return as<std::optional<ExperimentRecord>>(call("find_experiment", {{"name", name}}, true));
}

std::optional<ExperimentRecord> RemoteStore::find_experiment_by_id(int64_t id) {
  return as<std::optional<ExperimentRecord>>(call("find_experiment_by_id", {{"id", id}}, true));
}

std::vector<ExperimentRecord> RemoteStore::list_experiment_records() {
  return as<std::vector<ExperimentRecord>>(call("list_experiment_records", json::object(), true));
}

void RemoteStore::update_experiment(int64_t id, std::optional<bool> deleted,
                                    const std::map<std::string, std::string>& tags) {
  call("update_experiment", {{"id", id}, {"deleted", deleted}, {"tags", tags}}, true);
}

void RemoteStore::log_params(const std::string& run_id,
                             const std::map<std::string, std::string>& params) {
  call("log_params", {{"run_id", run_id}, {"params", params}}, true);  // the same value: fine
}

std::map<std::string, std::string> RemoteStore::run_params(const std::string& run_id) {
  return as<std::map<std::string, std::string>>(call("run_params", {{"run_id", run_id}}, true));
}

void RemoteStore::log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                            const std::map<std::string, std::string>& params,
                            const std::map<std::string, std::string>& tags) {
  // Not idempotent: sent twice, its metric points would be appended twice.
  call("log_batch", {{"run_id", run_id}, {"metrics", metrics}, {"params", params}, {"tags", tags}},
       false);
}

void RemoteStore::set_run_deleted(const std::string& run_id, std::optional<double> at) {
  call("set_run_deleted", {{"run_id", run_id}, {"deleted", at.has_value()}}, true);
}

std::vector<std::string> RemoteStore::deleted_runs() {
  return as<std::vector<std::string>>(call("deleted_runs", json::object(), true));
}

RunSearchPage RemoteStore::search_runs(const RunSearch& q) {
  return as<RunSearchPage>(call("search_runs", {{"search", q}}, true));
}
int64_t RemoteStore::count_runs(const RunSearch& q) {
  return as<int64_t>(call("count_runs", {{"search", q}}, true));
}

RegisteredModel RemoteStore::create_registered_model(const RegisteredModel& model) {
  return as<RegisteredModel>(call("create_registered_model", {{"model", model}}, false));
}

std::optional<RegisteredModel> RemoteStore::find_registered_model(const std::string& name) {
  return as<std::optional<RegisteredModel>>(call("find_registered_model", {{"name", name}}, true));
}

std::vector<RegisteredModel> RemoteStore::list_registered_models() {
  return as<std::vector<RegisteredModel>>(call("list_registered_models", json::object(), true));
}

bool RemoteStore::delete_registered_model(const std::string& name) {
  return as<bool>(call("delete_registered_model", {{"name", name}}, false));
}

void RemoteStore::create_compute(const ComputeTarget& target) {
  call("create_compute", {{"target", target}}, false);
}

void RemoteStore::update_compute(const ComputeTarget& target) {
  call("update_compute", {{"target", target}}, true);
}

std::optional<ComputeTarget> RemoteStore::find_compute(const std::string& name) {
  return as<std::optional<ComputeTarget>>(call("find_compute", {{"name", name}}, true));
}

std::vector<ComputeTarget> RemoteStore::list_computes() {
  return as<std::vector<ComputeTarget>>(call("list_computes", json::object(), true));
}

std::vector<MetricPoint> RemoteStore::metric_series(const std::string& run_id,
                                                    const std::string& name) {
  return as<std::vector<MetricPoint>>(
      call("metric_series", {{"run_id", run_id}, {"name", name}}, true));
}

std::map<std::string, MetricPoint> RemoteStore::latest_metrics(const std::string& run_id) {
  return as<std::map<std::string, MetricPoint>>(call("latest_metrics", {{"run_id", run_id}}, true));
}

// ---- Online endpoints: the server makes and keeps their keys; its agent runs them ----

EndpointRecord RemoteStore::create_endpoint(const EndpointRecord& e) {
  if (!e.settings.code_manifest.empty()) pusher_->push({}, {e.settings.code_manifest});
  return as<EndpointRecord>(call("create_endpoint", {{"endpoint", e}}, false));
}

std::optional<EndpointRecord> RemoteStore::find_endpoint(const std::string& name) {
  return as<std::optional<EndpointRecord>>(call("find_endpoint", {{"name", name}}, true));
}

std::vector<EndpointRecord> RemoteStore::list_endpoints() {
  return as<std::vector<EndpointRecord>>(call("list_endpoints", json::object(), true));
}

bool RemoteStore::update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                           const EndpointSettings& settings,
                                           const std::string& sealed_keys) {
  // The keys are the server's: a client neither reads nor sends them (endpoint_keys refuses a
  // remote workspace), so a change of keys is never made from here.
  if (!sealed_keys.empty())
    throw Error(ErrorKind::Permission,
                "endpoint '" + name + "': its keys are kept by the server, not sent from here");
  if (!settings.code_manifest.empty()) pusher_->push({}, {settings.code_manifest});
  // Not repeated blindly: a lost answer to an applied change would read as a lost race.
  return as<bool>(
      call("update_endpoint_settings",
           {{"name", name}, {"expected_generation", expected_generation}, {"settings", settings}},
           false));
}

void RemoteStore::set_endpoint_status(const std::string& name, const EndpointStatus&) {
  throw Error(ErrorKind::Permission, "endpoint '" + name +
                                         "': a remote workspace's endpoints are run by its "
                                         "server's agent, not from here");
}

void RemoteStore::request_endpoint_delete(const std::string& name) {
  call("request_endpoint_delete", {{"name", name}}, true);  // twice is once
}

bool RemoteStore::remove_endpoint(const std::string& name) {
  throw Error(ErrorKind::Permission, "endpoint '" + name +
                                         "': a remote workspace's endpoints are removed by its "
                                         "server's agent");
}

std::vector<EndpointEvent> RemoteStore::endpoint_events(const std::string& name) {
  return as<std::vector<EndpointEvent>>(call("endpoint_events", {{"name", name}}, true));
}

}  // namespace glia::remote

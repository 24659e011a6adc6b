// The Store of a remote workspace: every method one call of the remote store protocol
// (POST /api/v1/workspaces/{ws}/store/{method}, src/server/api/store_routes.cpp). Records that name
// blobs (a code snapshot, run files, dataset and model manifests) are written only once the
// server holds those blobs: they are uploaded first from the local cache (BlobPusher).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "glia/http/client.hpp"
#include "glia/platform/store.hpp"
#include "remote/blob_push.hpp"

namespace glia::remote {

class RemoteStore : public platform::Store {
 public:
  /// `client` reaches the server; `workspace` is the served workspace's name; `pusher` uploads
  /// what a record names.
  RemoteStore(std::shared_ptr<http::Client> client, std::string workspace,
              std::shared_ptr<BlobPusher> pusher);

  int schema_version() override;
  platform::RunRecord create_run(const platform::NewRun& run) override;
  std::optional<platform::RunRecord> find_run(const std::string& id) override;
  std::vector<platform::RunRecord> list_runs(const platform::RunFilter& filter) override;
  std::vector<platform::SweepTrial> sweep_trials(const std::string& sweep_id) override;
  std::vector<std::string> experiments() override;
  void set_status(const std::string& id, platform::RunStatus status, double at,
                  std::optional<int> exit_code, const std::string& error) override;
  std::vector<platform::StatusChange> status_history(const std::string& id) override;
  void set_process(const std::string& id, int64_t pid, int64_t pid_start,
                   int64_t agent_pid) override;
  bool request_cancel(const std::string& id, const std::map<std::string, std::string>& properties,
                      double at) override;
  void set_tags(const std::string& id, const std::map<std::string, std::string>& tags) override;
  void add_properties(const std::string& id,
                      const std::map<std::string, std::string>& properties) override;
  void log_metrics(const std::string& run_id,
                   const std::vector<platform::MetricPoint>& points) override;
  std::optional<std::string> log_metrics_once(const std::string& run_id,
                                              const std::vector<platform::MetricPoint>& points,
                                              const std::string& key,
                                              const std::string& fingerprint,
                                              const std::string& answer) override;
  bool apply_tracking(const std::string& run_id, const platform::TrackingBatch& batch,
                      int64_t new_offset, std::optional<int64_t> expected_offset) override;
  int64_t tracking_offset(const std::string& run_id) override;
  std::vector<platform::MetricRow> metric_rows(const std::string& run_id) override;
  std::vector<platform::MetricImage> metric_images(const std::string& run_id) override;
  void add_run_files(const std::string& run_id,
                     const std::vector<platform::RunFile>& files) override;
  std::vector<platform::RunFile> run_files(const std::string& run_id) override;
  platform::DatasetVersion create_dataset_version(const platform::DatasetVersion& d, bool force_new,
                                                  bool* created) override;
  std::optional<platform::DatasetVersion> find_dataset(const std::string& name,
                                                       std::optional<int64_t> version) override;
  std::vector<platform::DatasetVersion> list_datasets() override;
  void set_dataset_archived(const std::string& name, int64_t version, bool archived) override;
  void add_run_inputs(const std::vector<platform::RunInput>& inputs) override;
  std::vector<platform::RunInput> run_inputs(const std::string& run_id) override;
  std::vector<platform::RunInput> dataset_usage(const std::string& name, int64_t version) override;
  platform::ModelVersion create_model_version(const platform::ModelVersion& m) override;
  std::optional<platform::ModelVersion> find_model(const std::string& name,
                                                   std::optional<int64_t> version) override;
  std::vector<platform::ModelVersion> list_models(const platform::ModelFilter& filter) override;
  void delete_model_version(const std::string& name, int64_t version) override;
  platform::EnvironmentVersion create_environment_version(const platform::EnvironmentVersion& e,
                                                          bool* created) override;
  std::optional<platform::EnvironmentVersion> find_environment(
      const std::string& name, std::optional<int64_t> version) override;
  std::vector<platform::EnvironmentVersion> list_environments() override;
  void set_environment_archived(const std::string& name, int64_t version, bool archived) override;
  platform::User create_user(const platform::User& user) override;
  std::optional<platform::User> find_user(const std::string& name) override;
  std::vector<platform::User> list_users() override;
  void update_user(const platform::User& user) override;
  platform::ApiToken create_token(const platform::ApiToken& token) override;
  std::optional<platform::ApiToken> find_token(const std::string& id) override;
  std::vector<platform::ApiToken> list_tokens(const std::optional<std::string>& user) override;
  bool revoke_token(const std::string& id, double at) override;
  platform::ExperimentRecord create_experiment(
      const std::string& name, const std::map<std::string, std::string>& tags) override;
  std::optional<platform::ExperimentRecord> find_experiment(const std::string& name) override;
  std::optional<platform::ExperimentRecord> find_experiment_by_id(int64_t id) override;
  std::vector<platform::ExperimentRecord> list_experiment_records() override;
  void update_experiment(int64_t id, std::optional<bool> deleted,
                         const std::map<std::string, std::string>& tags) override;
  void log_params(const std::string& run_id,
                  const std::map<std::string, std::string>& params) override;
  std::map<std::string, std::string> run_params(const std::string& run_id) override;
  void log_batch(const std::string& run_id, const std::vector<platform::MetricPoint>& metrics,
                 const std::map<std::string, std::string>& params,
                 const std::map<std::string, std::string>& tags) override;
  void set_run_deleted(const std::string& run_id, std::optional<double> at) override;
  std::vector<std::string> deleted_runs() override;
  platform::RunSearchPage search_runs(const platform::RunSearch& q) override;
  int64_t count_runs(const platform::RunSearch& q) override;
  platform::RegisteredModel create_registered_model(
      const platform::RegisteredModel& model) override;
  std::optional<platform::RegisteredModel> find_registered_model(const std::string& name) override;
  std::vector<platform::RegisteredModel> list_registered_models() override;
  bool delete_registered_model(const std::string& name) override;
  // Online endpoints: their keys stay on the server; status and removal are its agent's.
  platform::EndpointRecord create_endpoint(const platform::EndpointRecord& e) override;
  std::optional<platform::EndpointRecord> find_endpoint(const std::string& name) override;
  std::vector<platform::EndpointRecord> list_endpoints() override;
  bool update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                const platform::EndpointSettings& settings,
                                const std::string& sealed_keys) override;
  void set_endpoint_status(const std::string& name,
                           const platform::EndpointStatus& status) override;
  void request_endpoint_delete(const std::string& name) override;
  bool remove_endpoint(const std::string& name) override;
  std::vector<platform::EndpointEvent> endpoint_events(const std::string& name) override;
  void create_compute(const platform::ComputeTarget& target) override;
  void update_compute(const platform::ComputeTarget& target) override;
  std::optional<platform::ComputeTarget> find_compute(const std::string& name) override;
  std::vector<platform::ComputeTarget> list_computes() override;
  std::vector<platform::MetricPoint> metric_series(const std::string& run_id,
                                                   const std::string& name) override;
  std::map<std::string, platform::MetricPoint> latest_metrics(const std::string& run_id) override;

 private:
  /// One call: its result. `idempotent`: safe to send again when no answer came (a read, or a
  /// write that cannot apply twice).
  nlohmann::json call(const std::string& method, const nlohmann::json& args, bool idempotent);
  std::shared_ptr<http::Client> client_;
  std::string prefix_;  // /api/v1/workspaces/{ws}/store/
  std::shared_ptr<BlobPusher> pusher_;
  std::mutex mutex_;  // one call at a time on the client
};

}  // namespace glia::remote

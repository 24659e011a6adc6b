// The SQLite implementation of Store, split over sqlite_store*.cpp by area (runs, metrics and
// tracking, files and compute targets). One connection per store, guarded by a mutex; every
// write is one BEGIN IMMEDIATE transaction, so several processes share the file safely.
#pragma once

#include <mutex>
#include <string>

#include "glia/platform/clock.hpp"
#include "glia/platform/store.hpp"
#include "store/metric_blocks.hpp"
#include "store/sqlite_db.hpp"

namespace glia::platform::sqlite {

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const std::string& path);

  int schema_version() override;
  RunRecord create_run(const NewRun& run) override;
  std::optional<RunRecord> find_run(const std::string& id) override;
  std::vector<RunRecord> list_runs(const RunFilter& filter) override;
  std::vector<SweepTrial> sweep_trials(const std::string& sweep_id) override;
  bool request_cancel(const std::string& id, const std::map<std::string, std::string>& properties,
                      double at) override;
  std::vector<std::string> experiments() override;
  void set_status(const std::string& id, RunStatus status, double at, std::optional<int> exit_code,
                  const std::string& error) override;
  std::vector<StatusChange> status_history(const std::string& id) override;
  void set_process(const std::string& id, int64_t pid, int64_t pid_start,
                   int64_t agent_pid) override;
  void set_tags(const std::string& id, const std::map<std::string, std::string>& tags) override;
  void add_properties(const std::string& id,
                      const std::map<std::string, std::string>& properties) override;

  void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) override;
  std::optional<std::string> log_metrics_once(const std::string& run_id,
                                              const std::vector<MetricPoint>& points,
                                              const std::string& key,
                                              const std::string& fingerprint,
                                              const std::string& answer) override;
  std::vector<MetricPoint> metric_series(const std::string& run_id,
                                         const std::string& name) override;
  std::vector<MetricPoint> metric_series_from(const std::string& run_id, const std::string& name,
                                              size_t from, size_t& total) override;
  std::map<std::string, MetricPoint> latest_metrics(const std::string& run_id) override;
  DownsampledSeries metric_series_minmax(const std::string& run_id, const std::string& name,
                                         size_t max_points) override;  // *_metric_blocks.cpp
  bool apply_tracking(const std::string& run_id, const TrackingBatch& batch, int64_t new_offset,
                      std::optional<int64_t> expected_offset) override;
  int64_t tracking_offset(const std::string& run_id) override;
  std::vector<MetricRow> metric_rows(const std::string& run_id) override;
  std::vector<MetricImage> metric_images(const std::string& run_id) override;

  void add_run_files(const std::string& run_id, const std::vector<RunFile>& files) override;
  std::vector<RunFile> run_files(const std::string& run_id) override;
  DatasetVersion create_dataset_version(const DatasetVersion& d, bool force_new,
                                        bool* created) override;
  std::optional<DatasetVersion> find_dataset(const std::string& name,
                                             std::optional<int64_t> version) override;
  std::vector<DatasetVersion> list_datasets() override;
  void set_dataset_archived(const std::string& name, int64_t version, bool archived) override;
  void add_run_inputs(const std::vector<RunInput>& inputs) override;
  std::vector<RunInput> run_inputs(const std::string& run_id) override;
  std::vector<RunInput> dataset_usage(const std::string& name, int64_t version) override;

  EnvironmentVersion create_environment_version(const EnvironmentVersion& e,
                                                bool* created = nullptr) override;
  std::optional<EnvironmentVersion> find_environment(const std::string& name,
                                                     std::optional<int64_t> version) override;
  std::vector<EnvironmentVersion> list_environments() override;
  void set_environment_archived(const std::string& name, int64_t version, bool archived) override;
  // Models (sqlite_store_models.cpp).
  ModelVersion create_model_version(const ModelVersion& m) override;
  std::optional<ModelVersion> find_model(const std::string& name,
                                         std::optional<int64_t> version) override;
  std::vector<ModelVersion> list_models(const ModelFilter& filter) override;
  void delete_model_version(const std::string& name, int64_t version) override;
  // Access control (sqlite_store_access.cpp).
  User create_user(const User& user) override;
  std::optional<User> find_user(const std::string& name) override;
  std::vector<User> list_users() override;
  void update_user(const User& user) override;
  ApiToken create_token(const ApiToken& token) override;
  std::optional<ApiToken> find_token(const std::string& id) override;
  std::vector<ApiToken> list_tokens(const std::optional<std::string>& user) override;
  bool revoke_token(const std::string& id, double at) override;
  ExperimentRecord create_experiment(const std::string& name,
                                     const std::map<std::string, std::string>& tags) override;
  std::optional<ExperimentRecord> find_experiment(const std::string& name) override;
  std::optional<ExperimentRecord> find_experiment_by_id(int64_t id) override;
  std::vector<ExperimentRecord> list_experiment_records() override;
  void update_experiment(int64_t id, std::optional<bool> deleted,
                         const std::map<std::string, std::string>& tags) override;
  void log_params(const std::string& run_id,
                  const std::map<std::string, std::string>& params) override;
  std::map<std::string, std::string> run_params(const std::string& run_id) override;
  void log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                 const std::map<std::string, std::string>& params,
                 const std::map<std::string, std::string>& tags) override;
  void set_run_deleted(const std::string& run_id, std::optional<double> at) override;
  std::vector<std::string> deleted_runs() override;
  RunSearchPage search_runs(const RunSearch& q) override;
  int64_t count_runs(const RunSearch& q) override;
  RegisteredModel create_registered_model(const RegisteredModel& model) override;
  std::optional<RegisteredModel> find_registered_model(const std::string& name) override;
  std::vector<RegisteredModel> list_registered_models() override;
  bool delete_registered_model(const std::string& name) override;
  // Online endpoints (sqlite_store_endpoints.cpp).
  EndpointRecord create_endpoint(const EndpointRecord& e) override;
  std::optional<EndpointRecord> find_endpoint(const std::string& name) override;
  std::vector<EndpointRecord> list_endpoints() override;
  bool update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                const EndpointSettings& settings,
                                const std::string& sealed_keys) override;
  void set_endpoint_status(const std::string& name, const EndpointStatus& status) override;
  void request_endpoint_delete(const std::string& name) override;
  bool remove_endpoint(const std::string& name) override;
  std::vector<EndpointEvent> endpoint_events(const std::string& name) override;
  void create_compute(const ComputeTarget& target) override;
  void update_compute(const ComputeTarget& target) override;
  std::optional<ComputeTarget> find_compute(const std::string& name) override;
  std::vector<ComputeTarget> list_computes() override;

 private:
  void migrate();
  void add_history(const std::string& id, RunStatus status, double at);
  // Callers hold mu_ and a transaction.
  void require_run(const std::string& id);
  void insert_metrics(const std::string& run_id, const std::vector<MetricPoint>& points);
  void insert_files(const std::string& run_id, const std::vector<RunFile>& files);
  void merge_tags(const std::string& id, const std::map<std::string, std::string>& tags);
  void insert_params(const std::string& run_id, const std::map<std::string, std::string>& params);

  std::mutex mu_;
  Db db_;
};

/// Throws glia::Error (Conflict) naming the endpoint that uses the model version (settings or
/// served); the caller holds a transaction (sqlite_store_endpoints.cpp).
void refuse_model_in_use(Db& db, const std::string& model, int64_t version);

/// The block summary of a series (sqlite_store_metric_blocks.cpp): its row, an empty one for a
/// series without points, none for a series to summarize when next read; the caller holds a
/// transaction, as for append_blocks, which folds the points just logged into it.
std::optional<metric_blocks::Summary> series_summary(Db& db, int64_t series);
void append_blocks(Db& db, int64_t series, const metric_blocks::Summary& summary,
                   const std::vector<MetricPoint>& points);

}  // namespace glia::platform::sqlite

// The platform's durable store: experiments, runs with their status history, and metric series.
// SQLite (WAL) is the embedded default; PostgreSQL (a team's server) satisfies the same interface
// and the same tests (tests/unit/store_contract.hpp lists every implementation).
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/access_records.hpp"
#include "glia/platform/asset_records.hpp"
#include "glia/platform/compute_target.hpp"
#include "glia/platform/endpoint_records.hpp"
#include "glia/platform/run_status.hpp"

namespace glia::platform {

/// A dataset version a run used, as the job input `input`.
struct RunInput {
  std::string run_id, input, dataset;
  int64_t version = 0;
  std::string manifest, mode;
};

struct NewRun {
  std::string experiment;    // created on first use
  std::string display_name;  // empty: the run id
  std::string command;
  std::string compute = "local";
  std::map<std::string, std::string> tags;
  // Jobs only (empty for runs a program starts itself):
  std::string spec;               // the job spec and its resolved inputs, as JSON
  std::string code_snapshot;      // SHA-256 of the code snapshot's manifest in the artifact store
  std::optional<double> timeout;  // seconds (limits.timeout)
  bool queue = false;             // created Queued (NotStarted → Queued in the same transaction)
  std::string id;                 // empty: a new id (make_run_id)
  std::vector<RunInput> inputs;   // dataset versions it uses, recorded with it (run_id filled in)
  /// Who submitted it (a job) or started it (a program logging a run): uid and login name.
  std::optional<int64_t> submitter_uid;
  std::string submitter_name;
  std::map<std::string, std::string> properties;  // set with the run (RunRecord::properties)
  /// "command" or "sweep" for a job; "" for a run its own program starts.
  std::string job_type;
  /// A sweep's trial: the sweep's run id, the trial's index in the sweep and its sampled
  /// parameters (a JSON object), recorded in the same transaction as the run. An index the
  /// sweep already has, or a sweep that has ended or is being canceled, is refused (glia::Error,
  /// Conflict; nothing written).
  std::string parent_id;
  std::optional<int64_t> trial_index;
  std::string trial_parameters;
  /// Created Running, started at max(created_at, *start) (NotStarted → Running recorded in the
  /// same transaction): a run its own program starts (MLflow's runs/create). Not with `queue`.
  std::optional<double> start;
};

/// A sweep's trial (Store::sweep_trials).
struct SweepTrial {
  std::string sweep_id;
  int64_t index = 0;
  std::string run_id;
  std::string parameters;  // JSON object
};

/// A new Azure-style run id: <experiment>_<unix seconds>_<8 hex digits>.
std::string make_run_id(const std::string& experiment);

struct RunRecord {
  std::string id;
  std::string experiment;
  std::string display_name;
  RunStatus status = RunStatus::NotStarted;
  double created_at = 0;  // seconds since the Unix epoch
  std::optional<double> started_at, ended_at;
  std::string command, compute;
  std::optional<int> exit_code;
  std::string error;
  std::map<std::string, std::string> tags;
  std::string spec, code_snapshot;
  std::optional<double> timeout;
  /// The job's process (its group leader), its start time in clock ticks since boot (guards
  /// against a reused pid) and the agent that started it; unset until the job starts.
  std::optional<int64_t> pid, pid_start, agent_pid;
  /// Who submitted it (see NewRun).
  std::optional<int64_t> submitter_uid;
  std::string submitter_name;
  /// Facts recorded as the run goes, like Azure's run properties (e.g. "threads": the compute
  /// threads the agent gave the job). Added, never removed.
  std::map<std::string, std::string> properties;
  std::string job_type;   // see NewRun
  std::string parent_id;  // a sweep's trial: the sweep's run id
  bool is_sweep() const { return job_type == "sweep"; }
};

/// A file kept in a run's history: its path in the run ("outputs/model/model.h5",
/// "user_logs/std_log.txt") and the artifact-store blob holding its bytes.
struct RunFile {
  std::string path;
  std::string sha256;
  int64_t size = 0;
  double created_at = 0;
};

/// One row of a table metric (log_row), as a JSON object.
struct MetricRow {
  std::string name;
  std::string row_json;
  double wall_time = 0;
};

/// An image metric (log_image): the run file holding it.
struct MetricImage {
  std::string name;
  int64_t step = 0;
  std::string path;
  double wall_time = 0;
};

struct StatusChange {
  RunStatus status;
  double at;
};

/// One value of a metric series. Values logged for the same name and step are all kept, in
/// logging order.
struct MetricPoint {
  /// As a step: "the next one" — the number of values already stored under the name.
  static constexpr int64_t kNextStep = INT64_MIN;
  std::string name;
  int64_t step = 0;
  double value = 0;
  double wall_time = 0;
};

/// A metric series cut down for a chart (Store::metric_series_minmax): the points kept, in
/// stored order, and the series' length.
struct DownsampledSeries {
  std::vector<MetricPoint> points;
  int64_t total = 0;
  /// Answered from the block summaries kept as the points were logged (not the whole series).
  bool from_blocks = false;
};

/// What a job's tracking file adds to its run, applied in one transaction together with the
/// file offset it was read up to (so every record is applied exactly once).
struct TrackingBatch {
  std::vector<MetricPoint> metrics;
  std::vector<MetricRow> rows;
  std::vector<MetricImage> images;
  std::vector<RunFile> files;
  std::map<std::string, std::string> tags;
  bool empty() const {
    return metrics.empty() && rows.empty() && images.empty() && files.empty() && tags.empty();
  }
};

// ---- Datasets, models, environments: their versions (glia/platform/asset_records.hpp) ----
// ---- Access control: Role, User, ApiToken (glia/platform/access_records.hpp) ----
// ---- MLflow's view (src/server/mlflow/, docs/mlflow.md; migration 10) ----

/// An experiment with what MLflow keeps of one: its number (the `experiments` table's id), a
/// lifecycle (deleted experiments keep their runs and name) and tags. Experiments are otherwise
/// created on first use by create_run.
struct ExperimentRecord {
  int64_t id = 0;
  std::string name;
  double created_at = 0, updated_at = 0;
  bool deleted = false;
  std::map<std::string, std::string> tags;
};

/// A registered model as a name of its own, which MLflow creates before (and keeps without) any
/// version. Glia's versions (ModelVersion) need no such record.
struct RegisteredModel {
  std::string name;
  std::string description;
  double created_at = 0, updated_at = 0;
};

struct RunFilter {
  std::optional<std::string> experiment;
  std::optional<RunStatus> status;
  std::vector<RunStatus> any_status;  // when non-empty: runs in one of these
  std::optional<std::string> compute;
  /// Runs this Unix user submitted, and runs with no recorded submitter (made before migration 6).
  std::optional<int64_t> submitter_uid;
  std::optional<std::string> parent_id;  // the children of this run (a sweep's trials)
  bool oldest_first = false;
  int64_t limit = 100;  // newest first unless oldest_first
};

/// Runs search (Store::search_runs; MLflow's runs/search, docs/mlflow.md "Search"), evaluated in
/// the store's SQL with bound values and keyset paging.
enum class SearchField { Attribute, Metric, Param, Tag };
enum class SearchOp { Eq, Ne, Lt, Le, Gt, Ge, Like, ILike, In, NotIn, IsNull, IsNotNull };
/// One condition. Attributes: run_id, run_name, status (Glia's status names), user_id (the tag
/// mlflow.user, else the submitter's name) as text; start_time (started, else created) and
/// end_time as numbers of milliseconds. Metrics (a run's latest value of the name; NaN is no
/// value) compare with `number` by =, !=, <, <=, >, >=. Params and tags (mlflow.runName is the
/// run's name) compare with `text` or `list` by =, !=, LIKE (case-sensitive), ILIKE, IN, NOT IN,
/// or test IS [NOT] NULL. A run without the value fails every condition but IS NULL.
struct RunCondition {
  SearchField field = SearchField::Attribute;
  std::string key;
  SearchOp op = SearchOp::Eq;
  std::optional<double> number;
  std::optional<std::string> text;
  std::vector<std::string> list;
};
/// A sort key (the fields and keys of RunCondition); runs without the value sort last either way.
struct RunOrder {
  SearchField field = SearchField::Attribute;
  std::string key;
  bool ascending = true;
};
enum class RunLifecycle { Active, Deleted, All };
struct RunSearch {
  std::vector<int64_t> experiment_ids;   // no id: no run
  std::vector<RunCondition> conditions;  // all must hold
  /// Then start_time descending, then run id ascending (unique: a total order).
  std::vector<RunOrder> order;
  RunLifecycle lifecycle = RunLifecycle::Active;
  int64_t limit = 1000;    // the page's size, >= 1
  std::string page_token;  // "" the first page; else a RunSearchPage::next_page_token
};
struct SearchedRun {
  RunRecord run;
  int64_t experiment_id = 0;
  bool deleted = false;
};
struct RunSearchPage {
  std::vector<SearchedRun> runs;
  /// The key of the last run returned (opaque); "" when no run follows. A token made for another
  /// order, or not made by the store, is refused (glia::Error, InvalidArgument).
  std::string next_page_token;
};

class Store {
 public:
  virtual ~Store() = default;
  /// The schema version the store is at (migrations applied on open).
  virtual int schema_version() = 0;

  virtual RunRecord create_run(const NewRun& run) = 0;
  virtual std::optional<RunRecord> find_run(const std::string& id) = 0;
  /// Like find_run but throws glia::Error "unknown run '<id>'".
  RunRecord get_run(const std::string& id);
  virtual std::vector<RunRecord> list_runs(const RunFilter& filter) = 0;
  /// A sweep's trials by index.
  virtual std::vector<SweepTrial> sweep_trials(const std::string& sweep_id) = 0;
  virtual std::vector<std::string> experiments() = 0;

  /// Moves a run to `status` at time `at`, recording the change. Throws glia::Error for an
  /// unknown run or a transition the lifecycle forbids (see can_transition); nothing is written
  /// then. exit_code and error are stored with terminal statuses.
  virtual void set_status(const std::string& id, RunStatus status, double at,
                          std::optional<int> exit_code = std::nullopt,
                          const std::string& error = "") = 0;
  virtual std::vector<StatusChange> status_history(const std::string& id) = 0;

  /// Records the job's process (see RunRecord::pid).
  virtual void set_process(const std::string& id, int64_t pid, int64_t pid_start,
                           int64_t agent_pid) = 0;
  /// Requests the cancel of a run that has not ended and is not Finalizing, recording why with
  /// it: the properties (those already set keep their values) and CancelRequested in one
  /// transaction. Returns false, writing nothing, when the run has ended, is Finalizing or is
  /// already CancelRequested. Throws glia::Error (NotFound) for an unknown run.
  virtual bool request_cancel(const std::string& id,
                              const std::map<std::string, std::string>& properties, double at) = 0;
  /// Sets (adds or replaces) tags.
  virtual void set_tags(const std::string& id, const std::map<std::string, std::string>& tags) = 0;
  /// Adds properties (RunRecord::properties); a name already set to another value is refused
  /// (glia::Error, nothing written). Throws for an unknown run.
  virtual void add_properties(const std::string& id,
                              const std::map<std::string, std::string>& properties) = 0;

  /// Appends the points in one transaction: all are stored or none. A point whose step is
  /// MetricPoint::kNextStep gets the count of values already stored under its name.
  virtual void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) = 0;
  /// log_metrics exactly once per `key` (a client's Idempotency-Key; migration 12): the key is
  /// recorded for the run with the request's `fingerprint` and its `answer` in the same
  /// transaction as the points. Returns nullopt when the points were logged now; the recorded
  /// answer, writing nothing, when the key was used before with the same fingerprint. A key used
  /// before with another fingerprint is refused (glia::Error, Conflict; nothing written).
  virtual std::optional<std::string> log_metrics_once(const std::string& run_id,
                                                      const std::vector<MetricPoint>& points,
                                                      const std::string& key,
                                                      const std::string& fingerprint,
                                                      const std::string& answer) = 0;
  /// Applies a tracking batch and moves the run's tracking offset to `new_offset`, atomically.
  /// With `expected_offset`, only if the run's offset is still that (else nothing is written
  /// and false returned): two readers of one file never apply a record twice.
  virtual bool apply_tracking(const std::string& run_id, const TrackingBatch& batch,
                              int64_t new_offset,
                              std::optional<int64_t> expected_offset = std::nullopt) = 0;
  virtual int64_t tracking_offset(const std::string& run_id) = 0;
  virtual std::vector<MetricRow> metric_rows(const std::string& run_id) = 0;
  virtual std::vector<MetricImage> metric_images(const std::string& run_id) = 0;

  /// Adds files to a run's history (a path already there is replaced), all or none.
  virtual void add_run_files(const std::string& run_id, const std::vector<RunFile>& files) = 0;
  /// The run's files, sorted by path.
  virtual std::vector<RunFile> run_files(const std::string& run_id) = 0;

  /// Registers the next version of `d.name` (version = latest + 1; d.version is ignored) —
  /// unless the newest version has the same manifest and !force_new: then that version is
  /// returned and `created` is false. Atomic: two registrations never get the same version.
  virtual DatasetVersion create_dataset_version(const DatasetVersion& d, bool force_new,
                                                bool* created = nullptr) = 0;
  /// A version, or with no version the newest one not archived.
  virtual std::optional<DatasetVersion> find_dataset(const std::string& name,
                                                     std::optional<int64_t> version) = 0;
  /// Every version of every dataset (archived ones too), by name then version.
  virtual std::vector<DatasetVersion> list_datasets() = 0;
  virtual void set_dataset_archived(const std::string& name, int64_t version, bool archived) = 0;
  /// Records the dataset versions a run uses (all or none).
  virtual void add_run_inputs(const std::vector<RunInput>& inputs) = 0;
  virtual std::vector<RunInput> run_inputs(const std::string& run_id) = 0;
  /// The runs that used a dataset version.
  virtual std::vector<RunInput> dataset_usage(const std::string& name, int64_t version) = 0;

  // ---- Models (the model registry) ----
  /// Registers the next version of `m.name`: one more than the highest version it ever had, so
  /// a deleted version's number is never reused (m.version is ignored; created_at 0: now).
  /// Always a new version, even for the same manifest. One transaction: two registrations never
  /// get the same version. Throws glia::Error for an unknown m.run_id.
  virtual ModelVersion create_model_version(const ModelVersion& m) = 0;
  /// A version, or with no version the newest one.
  virtual std::optional<ModelVersion> find_model(const std::string& name,
                                                 std::optional<int64_t> version) = 0;
  /// The versions matching `filter`, by name then version.
  virtual std::vector<ModelVersion> list_models(const ModelFilter& filter) = 0;
  /// Removes a version (its blobs stay: they are content-addressed and may be shared). Throws
  /// glia::Error "unknown model version 'NAME:V'". A version an endpoint's settings name, or that
  /// its process serves (EndpointStatus::served_model_version of the model its served generation
  /// named), is refused (Conflict, naming the endpoint), checked in the same transaction.
  virtual void delete_model_version(const std::string& name, int64_t version) = 0;

  // ---- Environments ----
  /// Registers the next version of `e.name` (highest + 1; e.version is ignored; created_at 0:
  /// now) — unless the newest version not archived (the one @latest names) has the same
  /// spec_hash: then that version is returned and `created` is false. Atomic: two registrations
  /// never get the same version.
  virtual EnvironmentVersion create_environment_version(const EnvironmentVersion& e,
                                                        bool* created = nullptr) = 0;
  /// A version, or with no version the newest one not archived.
  virtual std::optional<EnvironmentVersion> find_environment(const std::string& name,
                                                             std::optional<int64_t> version) = 0;
  /// Every version of every environment (archived ones too), by name then version.
  virtual std::vector<EnvironmentVersion> list_environments() = 0;
  /// Throws glia::Error (NotFound) "unknown environment version 'NAME:V'".
  virtual void set_environment_archived(const std::string& name, int64_t version,
                                        bool archived) = 0;

  // ---- Access control ----
  /// Adds a user; a name already there is refused (glia::Error, Conflict).
  virtual User create_user(const User& user) = 0;
  virtual std::optional<User> find_user(const std::string& name) = 0;
  /// Every user, by name.
  virtual std::vector<User> list_users() = 0;
  /// Changes a user's role or disabled flag. Throws glia::Error (NotFound) for an unknown user.
  virtual void update_user(const User& user) = 0;
  /// Stores a new token; an id already there (Conflict) or an unknown user (NotFound) is refused.
  virtual ApiToken create_token(const ApiToken& token) = 0;
  virtual std::optional<ApiToken> find_token(const std::string& id) = 0;
  /// The tokens of a user (or of everyone), revoked ones too, by creation time.
  virtual std::vector<ApiToken> list_tokens(const std::optional<std::string>& user) = 0;
  /// Marks a token revoked at `at`; false when it was already revoked. Throws glia::Error
  /// (NotFound) for an unknown id.
  virtual bool revoke_token(const std::string& id, double at) = 0;

  // ---- MLflow's view (migration 10) ----
  /// Creates an experiment with tags; a name already there is refused (Conflict).
  virtual ExperimentRecord create_experiment(const std::string& name,
                                             const std::map<std::string, std::string>& tags) = 0;
  virtual std::optional<ExperimentRecord> find_experiment(const std::string& name) = 0;
  virtual std::optional<ExperimentRecord> find_experiment_by_id(int64_t id) = 0;
  /// Every experiment (those create_run made too), by id.
  virtual std::vector<ExperimentRecord> list_experiment_records() = 0;
  /// Marks an experiment deleted or active again, and sets (adds or replaces) tags, updating
  /// updated_at. Throws glia::Error (NotFound) for an unknown id.
  virtual void update_experiment(int64_t id, std::optional<bool> deleted,
                                 const std::map<std::string, std::string>& tags) = 0;
  /// Records a run's parameters, all or none: a name already set to another value is refused
  /// (Conflict; the same value again is fine). Throws glia::Error (NotFound) for an unknown run.
  virtual void log_params(const std::string& run_id,
                          const std::map<std::string, std::string>& params) = 0;
  virtual std::map<std::string, std::string> run_params(const std::string& run_id) = 0;
  /// MLflow's log-batch: records params (as log_params), sets tags (as set_tags) and appends
  /// metric points (as log_metrics) in ONE transaction, all or none: a param already set to
  /// another value is refused (glia::Error, Conflict) and nothing of the batch is written.
  /// Throws glia::Error (NotFound) for an unknown run. Not idempotent (points are appended).
  virtual void log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                         const std::map<std::string, std::string>& params,
                         const std::map<std::string, std::string>& tags) = 0;
  /// Marks a run deleted (at `at`) or restores it (nullopt); its data stays. NotFound if unknown.
  virtual void set_run_deleted(const std::string& run_id, std::optional<double> at) = 0;
  /// The ids of the deleted runs.
  virtual std::vector<std::string> deleted_runs() = 0;
  /// One page of the runs matching `q` in its order (RunSearch).
  virtual RunSearchPage search_runs(const RunSearch& q) = 0;
  /// How many runs `q` matches in all (its order, limit and page token aside): one COUNT query.
  virtual int64_t count_runs(const RunSearch& q) = 0;
  /// Records a registered model's name (created_at 0: now); one already recorded is refused
  /// (Conflict).
  virtual RegisteredModel create_registered_model(const RegisteredModel& model) = 0;
  virtual std::optional<RegisteredModel> find_registered_model(const std::string& name) = 0;
  /// Every recorded registered model, by name.
  virtual std::vector<RegisteredModel> list_registered_models() = 0;
  /// Removes the record of a registered model (not its versions); false when there was none.
  virtual bool delete_registered_model(const std::string& name) = 0;

  // ---- Online endpoints (glia/platform/endpoint_records.hpp; migration 13) ----
  /// Records a new endpoint as given (generation, state and event history start from `e`;
  /// created_at/updated_at: now) with its first event. A name already there is refused
  /// (Conflict); a model version (settings.model_name:model_version) not registered is refused
  /// (NotFound), checked in the same transaction.
  virtual EndpointRecord create_endpoint(const EndpointRecord& e) = 0;
  virtual std::optional<EndpointRecord> find_endpoint(const std::string& name) = 0;
  /// Every endpoint, by name.
  virtual std::vector<EndpointRecord> list_endpoints() = 0;
  /// Compare-and-set of the settings and sealed keys: when the endpoint's generation is still
  /// `expected_generation`, stores them as generation + 1 (updated_at: now) and returns true;
  /// returns false, writing nothing, when it has moved on. NotFound for an unknown endpoint,
  /// Conflict while it is Deleting, NotFound for a model version not registered.
  virtual bool update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                        const EndpointSettings& settings,
                                        const std::string& sealed_keys) = 0;
  /// Records what the endpoint's agent observed (every field of `status`), appending an event in
  /// the same transaction when the state or the reason changed. While the endpoint is Deleting
  /// its state stays Deleting (the rest is recorded); `status.state` Deleting is refused
  /// (InvalidArgument: request_endpoint_delete). NotFound for an unknown endpoint.
  virtual void set_endpoint_status(const std::string& name, const EndpointStatus& status) = 0;
  /// Marks the endpoint Deleting (with an event); already Deleting: nothing changes. NotFound
  /// for an unknown endpoint.
  virtual void request_endpoint_delete(const std::string& name) = 0;
  /// Removes a Deleting endpoint's record, its events and its generations; false when there was
  /// none. An endpoint not Deleting is refused (Conflict): request_endpoint_delete first.
  virtual bool remove_endpoint(const std::string& name) = 0;
  /// The endpoint's state changes, oldest first (empty for an unknown endpoint).
  virtual std::vector<EndpointEvent> endpoint_events(const std::string& name) = 0;

  /// Compute targets. The store starts with "local" (type local, max_concurrent 2).
  virtual void create_compute(const ComputeTarget& target) = 0;  // throws if the name exists
  virtual void update_compute(const ComputeTarget& target) = 0;  // throws if unknown
  virtual std::optional<ComputeTarget> find_compute(const std::string& name) = 0;
  /// Like find_compute but throws glia::Error naming the known targets.
  ComputeTarget get_compute(const std::string& name);
  virtual std::vector<ComputeTarget> list_computes() = 0;
  /// The series of one metric, by step then logging order.
  virtual std::vector<MetricPoint> metric_series(const std::string& run_id,
                                                 const std::string& name) = 0;
  /// The points of metric_series from index `from` on, and in `total` the series' length, without
  /// reading the points before `from` into memory (a live view asks only for what is new).
  virtual std::vector<MetricPoint> metric_series_from(const std::string& run_id,
                                                      const std::string& name, size_t from,
                                                      size_t& total);
  /// downsample_minmax_blocks (glia/platform/downsample.hpp) of metric_series: the SQLite and
  /// PostgreSQL stores read per-block summaries (migration 14), this default the whole series.
  virtual DownsampledSeries metric_series_minmax(const std::string& run_id, const std::string& name,
                                                 size_t max_points);
  /// The last logged value of each metric name (from an index; never scans the series).
  virtual std::map<std::string, MetricPoint> latest_metrics(const std::string& run_id) = 0;
};

/// Opens (creating if needed) the SQLite store at `path`, applying pending migrations.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

/// Opens the PostgreSQL store at `url` (libpq's `postgresql://user@host:port/db` or key=value
/// form; a password comes from PGPASSWORD or ~/.pgpass, which libpq reads), applying pending
/// migrations (one transaction, under an advisory lock: two processes opening at once apply them
/// once). Thread-safe: each call takes one of up to `connections` connections; a broken one is
/// replaced on the next call. Throws glia::Error (Unavailable) when the server cannot be reached.
std::unique_ptr<Store> open_postgres_store(const std::string& url, size_t connections = 4);
/// Whether `text` is a PostgreSQL URL (postgresql:// or postgres://).
bool is_postgres_url(const std::string& text);
/// Whether `url` carries a password. Throws glia::Error for a URL libpq cannot read.
bool postgres_url_has_password(const std::string& url);
/// `url` as messages show it: postgresql://user@host:port/db, never a password.
std::string postgres_url_for_display(const std::string& url);

}  // namespace glia::platform

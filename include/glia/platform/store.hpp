// The platform's durable store: experiments, runs with their status history, and metric series.
// SQLite (WAL) is the embedded default; other implementations (PostgreSQL) satisfy the same
// interface and the same tests (tests/unit/test_store.cpp runs against every implementation).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/run_status.hpp"

namespace glia::platform {

struct NewRun {
  std::string experiment;    // created on first use
  std::string display_name;  // empty: the run id
  std::string command;
  std::string compute = "local";
  std::map<std::string, std::string> tags;
};

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
};

struct StatusChange {
  RunStatus status;
  double at;
};

/// One value of a metric series. Values logged for the same name and step are all kept, in
/// logging order.
struct MetricPoint {
  std::string name;
  int64_t step = 0;
  double value = 0;
  double wall_time = 0;
};

struct RunFilter {
  std::optional<std::string> experiment;
  std::optional<RunStatus> status;
  int64_t limit = 100;  // newest first
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
  virtual std::vector<std::string> experiments() = 0;

  /// Moves a run to `status` at time `at`, recording the change. Throws glia::Error for an
  /// unknown run or a transition the lifecycle forbids (see can_transition); nothing is written
  /// then. exit_code and error are stored with terminal statuses.
  virtual void set_status(const std::string& id, RunStatus status, double at,
                          std::optional<int> exit_code = std::nullopt,
                          const std::string& error = "") = 0;
  virtual std::vector<StatusChange> status_history(const std::string& id) = 0;

  /// Appends the points in one transaction: all are stored or none.
  virtual void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) = 0;
  /// The series of one metric, by step then logging order.
  virtual std::vector<MetricPoint> metric_series(const std::string& run_id,
                                                 const std::string& name) = 0;
  /// The last logged value of each metric name (from an index; never scans the series).
  virtual std::map<std::string, MetricPoint> latest_metrics(const std::string& run_id) = 0;
};

/// Opens (creating if needed) the SQLite store at `path`, applying pending migrations.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

}  // namespace glia::platform

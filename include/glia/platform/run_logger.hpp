// Logging to a run from inside the training program (Azure's Run.get_context()). Values are
// buffered and written to the workspace's store in batches (one transaction each); flush() and
// the destructor write what is left. Outside a workspace the logger is offline: it keeps the
// values in memory instead of failing, so the same program runs anywhere.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

class RunLogger {
 public:
  /// The run this process belongs to: $GLIA_RUN_ID in the workspace found by Workspace::find
  /// (set by the job runner); otherwise, when a workspace is found, a new run of `experiment`
  /// (status Running) that this logger completes; otherwise an offline logger.
  static std::unique_ptr<RunLogger> from_environment(const std::string& experiment,
                                                     const std::string& command);
  /// An offline logger: nothing is written anywhere.
  static std::unique_ptr<RunLogger> offline();
  /// Attaches to an existing run of `ws`.
  RunLogger(Workspace ws, std::string run_id, bool owns_run);
  ~RunLogger();
  RunLogger(const RunLogger&) = delete;
  RunLogger& operator=(const RunLogger&) = delete;

  bool online() const { return ws_.has_value(); }
  const std::string& run_id() const { return run_id_; }

  /// Appends a value; step defaults to the number of values logged under `name` so far (so
  /// repeated logs form a list, like Azure's run.log).
  void log(const std::string& name, double value, std::optional<int64_t> step = std::nullopt);
  void flush();
  /// Ends a run this logger created: flushes, then Completed or Failed (with `error`).
  void complete(bool success = true, const std::string& error = "");
  /// Every value logged through this logger (also offline).
  const std::vector<MetricPoint>& history() const { return history_; }

 private:
  RunLogger() = default;
  std::optional<Workspace> ws_;
  std::string run_id_;
  bool owns_run_ = false, completed_ = false;
  std::vector<MetricPoint> pending_, history_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace glia::platform

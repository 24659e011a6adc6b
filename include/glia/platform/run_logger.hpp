// Logging to a run from inside the training program (Azure's Run.get_context()). Three modes:
// - in a job ($GLIA_RUN_ID and $GLIA_TRACKING_FILE set by the agent): records are appended to
//   the job's tracking file (docs/tracking-protocol.md), batched, one write() per batch;
// - in a workspace but not in a job: the logger starts a run of its own and writes values to the
//   store in batches (one transaction each), completing the run at the end;
// - elsewhere: offline — values are kept in memory instead of failing, so one program runs
//   anywhere.
// flush() and the destructor write what is buffered; a value is acknowledged once flush()
// returns. In store mode a batch whose sending failed in a way that may pass later (the store
// not reachable now, a full disk) is kept and sent first, exactly once, by the next flush; one
// refused for good (any other kind of glia::Error) is dropped, reported once by the flush that
// sent it, so later values are not stuck behind it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

class RunLogger {
 public:
  enum class Mode { Offline, Store, TrackingFile };

  /// The run this process belongs to, as described above. `experiment` and `command` name the
  /// run the logger starts when it is in a workspace but not in a job.
  static std::unique_ptr<RunLogger> from_environment(const std::string& experiment,
                                                     const std::string& command);
  /// An offline logger: nothing is written anywhere.
  static std::unique_ptr<RunLogger> offline();
  /// Writes to an existing run of `ws` through its store.
  RunLogger(Workspace ws, std::string run_id, bool owns_run);
  /// Appends records to a job's tracking file.
  RunLogger(std::string run_id, const std::filesystem::path& tracking_file,
            std::filesystem::path scratch_dir);
  ~RunLogger();
  RunLogger(const RunLogger&) = delete;
  RunLogger& operator=(const RunLogger&) = delete;

  Mode mode() const { return mode_; }
  bool online() const { return mode_ != Mode::Offline; }
  const std::string& run_id() const { return run_id_; }

  /// Appends a value; step defaults to the number of values this logger logged under `name`
  /// so far (so repeated logs form a list, like Azure's run.log).
  void log(const std::string& name, double value, std::optional<int64_t> step = std::nullopt);
  void log_list(const std::string& name, const std::vector<double>& values);
  /// One row of the table `name` (log_row).
  void log_row(const std::string& name, const std::vector<std::pair<std::string, double>>& row);
  /// An image file (PNG/SVG) already written, e.g. by glia::platform::draw_line_chart into
  /// scratch_file(). In a job the file must stay until the run ends (scratch files do).
  void log_image(const std::string& name, const std::filesystem::path& file);
  /// Adds a file to the run's history under the relative path `name` (e.g. "outputs/x.txt").
  void upload_file(const std::string& name, const std::filesystem::path& file);
  /// A path for a file the program writes and then logs: in the job's scratch folder, else in
  /// a private temporary folder.
  std::filesystem::path scratch_file(const std::string& filename);

  void flush();
  /// Ends a run this logger started: flushes, then Completed or Failed (with `error`). The status
  /// is sent again (a few times, waiting longer each time) while the store is not reachable; a
  /// run found with that status already (an answer lost after it was set) counts as ended.
  void complete(bool success = true, const std::string& error = "");
  /// Every scalar value logged through this logger (also offline).
  const std::vector<MetricPoint>& history() const { return history_; }

 private:
  RunLogger() = default;
  void append_record(std::string line);
  void send_in_flight();
  /// Store mode: counts a pending record's bytes, flushing once the batch is large.
  void added(size_t bytes);
  void send_batch();
  void finish_run(RunStatus status, const std::string& error);
  Mode mode_ = Mode::Offline;
  std::optional<Workspace> ws_;
  std::string run_id_;
  bool owns_run_ = false, completed_ = false;
  int tracking_fd_ = -1;
  std::string tracking_buffer_;
  size_t buffered_records_ = 0;
  std::filesystem::path scratch_;
  std::vector<MetricPoint> pending_, history_;
  TrackingBatch pending_extra_;             // store mode: rows, images, files
  std::optional<TrackingBatch> in_flight_;  // store mode: a batch being (or failed being) sent
  std::optional<int64_t> offset_;
  size_t pending_bytes_ = 0;  // store mode: about how large the pending batch is           // store
                              // mode, a run it started: batches applied
  std::map<std::string, int64_t> counts_;
};

}  // namespace glia::platform

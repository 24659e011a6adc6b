#include "glia/platform/run_logger.hpp"
#include "glia/platform/clock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/input_limits.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBatch = 1000;
// Store mode: a batch is also sent once it holds about this many bytes of names, rows and paths,
// well under a remote store call's 4 MiB (so 60k table rows go in several batches, not one too
// large to send).
constexpr size_t kBatchBytes = size_t{1} << 20;

nlohmann::json number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// Whether a failed send may pass when tried again: a store not reachable now, or a full disk
// that may be freed. Any other failure (a batch refused for what it holds, a run that is gone,
// a role that may not log) would fail again each time.
bool retryable(const Error& e) {
  return e.kind() == ErrorKind::Unavailable || e.kind() == ErrorKind::NoSpace;
}

}  // namespace

std::unique_ptr<RunLogger> RunLogger::offline() {
  return std::unique_ptr<RunLogger>(new RunLogger());
}

std::unique_ptr<RunLogger> RunLogger::from_environment(const std::string& experiment,
                                                       const std::string& command) {
  check_experiment_name(experiment);  // it starts the id of the run this may create
  // A data-parallel job's ranks other than 0 train the same model: only rank 0 tracks the run
  // (the launcher's rank variables, read from the environment: the platform knows no MPI).
  if (glia::launcher_rank() != 0) return offline();
  const char* id = env("GLIA_RUN_ID");
  if (const char* file = env("GLIA_TRACKING_FILE"); id && file) {
    const char* scratch = env("GLIA_SCRATCH_DIR");
    return std::make_unique<RunLogger>(id, file, scratch ? fs::path(scratch) : fs::path());
  }
  std::optional<Workspace> ws;
  try {
    ws = Workspace::find(std::nullopt);
  } catch (const Error&) {
    if (id) throw;  // a run id without its workspace is a real error
    return offline();
  }
  if (id) {
    ws->store().get_run(id);  // validates the id
    return std::make_unique<RunLogger>(*ws, id, false);
  }
  NewRun run{experiment, "", command, "local", {}};
  const SubmittingUser user = current_user();  // the program's user started this run
  run.submitter_uid = user.uid;
  run.submitter_name = user.name;
  run.start = now_seconds();  // created Running in one write: never left NotStarted
  RunRecord r = ws->store().create_run(run);
  return std::make_unique<RunLogger>(*ws, r.id, true);
}

RunLogger::RunLogger(Workspace ws, std::string run_id, bool owns_run)
    : mode_(Mode::Store), ws_(std::move(ws)), run_id_(std::move(run_id)), owns_run_(owns_run) {}

RunLogger::RunLogger(std::string run_id, const fs::path& tracking_file, fs::path scratch_dir)
    : mode_(Mode::TrackingFile), run_id_(std::move(run_id)), scratch_(std::move(scratch_dir)) {
  tracking_fd_ = ::open(tracking_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (tracking_fd_ < 0)
    throw os_error("cannot open the tracking file '" + tracking_file.string() + "'", errno);
}

RunLogger::~RunLogger() {
  try {
    if (owns_run_ && !completed_)
      complete(false, "the program ended without completing its run");
    else
      flush();
  } catch (...) {  // never throw from a destructor; the store keeps what was committed
  }
  if (tracking_fd_ >= 0) ::close(tracking_fd_);
}

void RunLogger::append_record(std::string line) {
  // A longer line would be skipped by the agent: refuse it here, where the caller can react.
  if (line.size() + 1 > kMaxTrackingLineBytes)
    throw Error("a tracking record of " + std::to_string(line.size() + 1) +
                " bytes is longer than the tracking protocol allows (" +
                std::to_string(kMaxTrackingLineBytes) + " bytes a line); shorten its names");
  tracking_buffer_ += line;
  tracking_buffer_ += '\n';
  if (++buffered_records_ >= kBatch) flush();
}

void RunLogger::log(const std::string& name, double value, std::optional<int64_t> step) {
  if (name.empty()) throw Error("a metric needs a name");
  int64_t& count = counts_[name];
  MetricPoint p{name, step.value_or(count), value, now_seconds()};
  ++count;
  history_.push_back(p);
  if (mode_ == Mode::TrackingFile) {
    // Without an explicit step the agent numbers the value after those already in the run, so
    // several processes (or a restarted one) of one job extend one list.
    nlohmann::json rec{
        {"kind", "metric"}, {"name", p.name}, {"value", number(p.value)}, {"time", p.wall_time}};
    if (step) rec["step"] = *step;
    append_record(rec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (mode_ == Mode::Store) {
    const size_t bytes = p.name.size() + 64;
    pending_.push_back(std::move(p));
    if (pending_.size() >= kBatch)
      flush();
    else
      added(bytes);
  }
}

void RunLogger::log_list(const std::string& name, const std::vector<double>& values) {
  for (double v : values) log(name, v);
}

void RunLogger::log_row(const std::string& name,
                        const std::vector<std::pair<std::string, double>>& row) {
  if (name.empty()) throw Error("a table needs a name");
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [k, v] : row) obj[k] = number(v);
  const double t = now_seconds();
  if (mode_ == Mode::TrackingFile)
    append_record(nlohmann::json{{"kind", "row"}, {"name", name}, {"row", obj}, {"time", t}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  else if (mode_ == Mode::Store) {
    pending_extra_.rows.push_back(
        {name, obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), t});
    added(name.size() + pending_extra_.rows.back().row_json.size() + 64);
  }
}

void RunLogger::log_image(const std::string& name, const fs::path& file) {
  if (name.empty()) throw Error("an image needs a name");
  if (!fs::is_regular_file(file))
    throw Error(ErrorKind::NotFound, "no image file at '" + file.string() + "'");
  const double t = now_seconds();
  if (mode_ == Mode::TrackingFile) {
    append_record(nlohmann::json{
        {"kind", "image"},
        {"name", name},
        {"path", fs::absolute(file).string()},
        {"time", t}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (mode_ == Mode::Store) {
    auto artifacts = ws_->artifacts();
    uint64_t size = 0;
    const std::string hash = artifacts.put_file(file, &size);
    std::string ext = file.extension().string();
    const std::string path =
        safe_relative_path("images/" + name + (ext.empty() ? ".png" : ext), "image name");
    pending_extra_.files.push_back({path, hash, static_cast<int64_t>(size), t});
    pending_extra_.images.push_back({name, 0, path, t});
    added(2 * path.size() + name.size() + 192);
  }
}

void RunLogger::upload_file(const std::string& name, const fs::path& file) {
  const std::string path = safe_relative_path(name, "run file name");
  if (!fs::is_regular_file(file))
    throw Error(ErrorKind::NotFound, "no file at '" + file.string() + "'");
  if (mode_ == Mode::TrackingFile) {
    append_record(
        nlohmann::json{{"kind", "file"}, {"name", path}, {"path", fs::absolute(file).string()}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (mode_ == Mode::Store) {
    auto artifacts = ws_->artifacts();
    uint64_t size = 0;
    const std::string hash = artifacts.put_file(file, &size);
    pending_extra_.files.push_back({path, hash, static_cast<int64_t>(size), now_seconds()});
    added(path.size() + 128);
  }
}

void RunLogger::added(size_t bytes) {
  pending_bytes_ += bytes;
  if (pending_bytes_ >= kBatchBytes) flush();
}

fs::path RunLogger::scratch_file(const std::string& filename) {
  if (scratch_.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "glia-run-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw Error("cannot create a temporary folder in /tmp");
    scratch_ = tmpl;
  }
  fs::create_directories(scratch_);
  return scratch_ / filename;
}

void RunLogger::flush() {
  if (mode_ == Mode::TrackingFile && !tracking_buffer_.empty()) {
    const char* p = tracking_buffer_.data();
    size_t left = tracking_buffer_.size();
    while (left > 0) {
      ssize_t n = ::write(tracking_fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;  // ENOSPC: NoSpace
        // Keep only what was not written, so a later flush does not write a record twice.
        tracking_buffer_.erase(0, tracking_buffer_.size() - left);
        throw os_error("cannot write the tracking file", err);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    tracking_buffer_.clear();
    buffered_records_ = 0;
  } else if (mode_ == Mode::Store) {
    if (in_flight_) send_in_flight();  // a batch whose sending failed goes first, as it was
    if (pending_.empty() && pending_extra_.empty()) return;
    pending_extra_.metrics.insert(pending_extra_.metrics.end(), pending_.begin(), pending_.end());
    pending_.clear();
    pending_bytes_ = 0;
    in_flight_ = std::move(pending_extra_);
    pending_extra_ = {};
    send_in_flight();
  }
}

// A batch whose sending failed in a way that may pass later is kept and sent first, as it was,
// by the next flush; one refused for good is dropped (reported by the exception, once), so the
// values logged after it are not stuck behind it.
void RunLogger::send_in_flight() {
  try {
    send_batch();
  } catch (const Error& e) {
    if (!retryable(e)) {
      in_flight_.reset();
      offset_.reset();  // read again for the next batch: this one may have moved it (Conflict)
    }
    throw;
  }
}

// A run this logger started has no other writer: the store's tracking offset counts its batches,
// and each is applied only at the offset it was made for. Sent again after an answer was lost
// (a server that applied it), it is not applied twice — exactly once, like a job's tracking file.
void RunLogger::send_batch() {
  Store& store = ws_->store();
  if (!owns_run_) {  // a job's run (its tracking offset is the agent's): appended as it is
    store.apply_tracking(run_id_, *in_flight_, store.tracking_offset(run_id_));
    in_flight_.reset();
    return;
  }
  if (!offset_) offset_ = store.tracking_offset(run_id_);
  if (!store.apply_tracking(run_id_, *in_flight_, *offset_ + 1, *offset_) &&
      store.tracking_offset(run_id_) != *offset_ + 1)
    throw Error(ErrorKind::Conflict, "run '" + run_id_ + "' was logged to by another writer");
  ++*offset_;
  in_flight_.reset();
}

// The end of the run is set once; an answer lost on the way (a server that set it, or one not
// reached) is resolved by reading the run again, and the status sent again while it may pass.
void RunLogger::finish_run(RunStatus status, const std::string& error) {
  constexpr int kAttempts = 5;
  Store& store = ws_->store();
  const double at = now_seconds();
  auto delay = std::chrono::milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    try {
      store.set_status(run_id_, status, at, std::nullopt, error);
      return;
    } catch (const Error& e) {
      std::optional<RunRecord> run;
      try {
        run = store.find_run(run_id_);
      } catch (const Error& read) {
        if (!retryable(read)) throw;
      }
      if (run && run->status == status) return;  // set by the try whose answer was lost
      if (e.kind() != ErrorKind::Unavailable || attempt >= kAttempts) throw;
    }
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

void RunLogger::complete(bool success, const std::string& error) {
  flush();
  if (mode_ == Mode::Store && owns_run_ && !completed_)
    finish_run(success ? RunStatus::Completed : RunStatus::Failed, error);
  completed_ = true;
}

}  // namespace glia::platform

#include "glia/platform/run_logger.hpp"

#include <chrono>
#include <cstdlib>

#include "glia/error.hpp"

namespace glia::platform {

namespace {

constexpr size_t kBatch = 1000;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::unique_ptr<RunLogger> RunLogger::offline() {
  return std::unique_ptr<RunLogger>(new RunLogger());
}

std::unique_ptr<RunLogger> RunLogger::from_environment(const std::string& experiment,
                                                       const std::string& command) {
  std::optional<Workspace> ws;
  try {
    ws = Workspace::find(std::nullopt);
  } catch (const Error&) {
    if (std::getenv("GLIA_RUN_ID")) throw;  // a job without its workspace is a real error
    return offline();
  }
  if (const char* id = std::getenv("GLIA_RUN_ID"); id && *id) {
    ws->store().get_run(id);  // validates the id
    return std::make_unique<RunLogger>(*ws, id, false);
  }
  RunRecord r = ws->store().create_run({experiment, "", command, "local", {}});
  const double t = now_seconds();
  ws->store().set_status(r.id, RunStatus::Running, t);
  return std::make_unique<RunLogger>(*ws, r.id, true);
}

RunLogger::RunLogger(Workspace ws, std::string run_id, bool owns_run)
    : ws_(std::move(ws)), run_id_(std::move(run_id)), owns_run_(owns_run) {}

RunLogger::~RunLogger() {
  try {
    if (owns_run_ && !completed_)
      complete(false, "the program ended without completing its run");
    else
      flush();
  } catch (...) {  // never throw from a destructor; the store keeps what was committed
  }
}

void RunLogger::log(const std::string& name, double value, std::optional<int64_t> step) {
  if (name.empty()) throw Error("a metric needs a name");
  int64_t& count = counts_[name];
  MetricPoint p{name, step.value_or(count), value, now_seconds()};
  ++count;
  history_.push_back(p);
  if (!online()) return;
  pending_.push_back(std::move(p));
  if (pending_.size() >= kBatch) flush();
}

void RunLogger::flush() {
  if (!online() || pending_.empty()) return;
  ws_->store().log_metrics(run_id_, pending_);
  pending_.clear();
}

void RunLogger::complete(bool success, const std::string& error) {
  flush();
  if (online() && owns_run_ && !completed_)
    ws_->store().set_status(run_id_, success ? RunStatus::Completed : RunStatus::Failed,
                            now_seconds(), std::nullopt, error);
  completed_ = true;
}

}  // namespace glia::platform

#include "glia/platform/run_status.hpp"

#include <array>

#include "glia/error.hpp"

namespace glia::platform {

namespace {
constexpr std::array<const char*, 10> kNames = {
    "NotStarted", "Queued",          "Preparing", "Starting", "Running",
    "Finalizing", "CancelRequested", "Completed", "Failed",   "Canceled"};
}  // namespace

std::string to_string(RunStatus status) {
  return kNames.at(static_cast<size_t>(status));
}

RunStatus parse_run_status(const std::string& name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<RunStatus>(i);
  std::string all;
  for (const char* n : kNames) all += (all.empty() ? "" : ", ") + std::string(n);
  throw Error("unknown run status '" + name + "' (expected one of " + all + ")");
}

bool is_terminal(RunStatus s) {
  return s == RunStatus::Completed || s == RunStatus::Failed || s == RunStatus::Canceled;
}

const std::vector<RunStatus>& active_statuses() {
  static const std::vector<RunStatus> all = {RunStatus::Preparing, RunStatus::Starting,
                                             RunStatus::Running, RunStatus::Finalizing,
                                             RunStatus::CancelRequested};
  return all;
}

bool can_transition(RunStatus from, RunStatus to) {
  if (is_terminal(from)) return false;
  if (to == RunStatus::Failed || to == RunStatus::Canceled) return true;
  // A finalizing run's process has already ended: there is nothing left to cancel.
  if (to == RunStatus::CancelRequested)
    return from != RunStatus::CancelRequested && from != RunStatus::Finalizing;
  if (from == RunStatus::CancelRequested) return false;  // only Canceled/Failed may follow
  return static_cast<int>(to) > static_cast<int>(from) && to != RunStatus::NotStarted;
}

}  // namespace glia::platform

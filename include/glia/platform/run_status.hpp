// Run statuses, named as Azure ML names them, and the lifecycle between them.
#pragma once

#include <string>
#include <vector>

namespace glia::platform {

enum class RunStatus {
  NotStarted,
  Queued,
  Preparing,
  Starting,
  Running,
  Finalizing,
  CancelRequested,
  Completed,
  Failed,
  Canceled,
};

std::string to_string(RunStatus status);
/// Parses an Azure status name; throws glia::Error listing the valid names otherwise.
RunStatus parse_run_status(const std::string& name);
bool is_terminal(RunStatus status);
/// The statuses of a job an agent is working on: Preparing through Finalizing, and
/// CancelRequested.
const std::vector<RunStatus>& active_statuses();
/// The lifecycle: forward through NotStarted → Queued → Preparing → Starting → Running →
/// Finalizing → Completed (steps may be skipped, never repeated or reversed); any non-terminal
/// status may go to Failed or Canceled, and any before Finalizing to CancelRequested; terminal
/// statuses never change.
bool can_transition(RunStatus from, RunStatus to);

}  // namespace glia::platform

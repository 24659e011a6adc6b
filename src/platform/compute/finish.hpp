// Ending a job on the local target, whoever ends it (the agent when the process exits, or the
// reconciliation of a dead agent's runs): the rest of its tracking file is applied, ./outputs,
// ./logs and its log are copied into run history, then the final status is recorded and the
// run's folder removed. The status comes last, so a run that reads as ended has all its files.
#pragma once

#include <optional>
#include <string>

#include "glia/platform/run_status.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform::compute {

/// A run property: why Glia itself canceled the run (a sweep's early-termination policy, its
/// timeout...). A run canceled with it set ends Canceled with that text as its error.
inline constexpr const char* kCancelReasonProperty = "cancel_reason";

/// A run property: set on a job the reconciliation of a dead agent ended (its processes were
/// killed with the agent, not failed by themselves). A sweep does not count such trials as failed.
inline constexpr const char* kAgentLostProperty = "agent_lost";

/// Appends a line from Glia itself ("[glia] ...") to the run's live log.
void append_system_log(const std::filesystem::path& workspace_root, const std::string& run_id,
                       const std::string& line);

/// Finishes `run_id` with `status` (Completed, Failed or Canceled). A run that already ended
/// (another process finished it first) keeps its status. When the tracking file or the files
/// cannot be stored (a full disk, say), the run ends Failed with that reason and the job's exit
/// code, and its folder is kept for recover_kept_runs. Throws only when even the final status
/// cannot be written (the caller tries again later).
void finish_run(Workspace& ws, const std::string& run_id, RunStatus status,
                std::optional<int> exit_code, const std::string& error);

/// Stores what ended runs left in their kept folders (.glia/runs/<id>): the rest of the
/// tracking file (exactly once, from the recorded offset), then ./outputs, ./logs and the log if
/// they were not stored; the folder is removed once everything is in. Runs whose folder still
/// cannot be stored (the disk still full) are left for the next call. Returns how many runs were
/// completed this way.
int recover_kept_runs(Workspace& ws);

/// Ends every job run left active by an agent that is gone (the caller holds the agent lock):
/// kills what is left of its processes, finishes it as Failed (Canceled if cancel was asked),
/// naming the agent. Returns how many runs it ended.
int reconcile_orphans(Workspace& ws);

}  // namespace glia::platform::compute

// What a Slurm job state means for a Glia run: its Azure status and the reason shown with it.
#pragma once

#include <optional>
#include <string>

#include "glia/platform/run_status.hpp"

namespace glia::platform::compute {

struct SlurmStatus {
  RunStatus status = RunStatus::Queued;
  std::string reason;     // e.g. "Slurm: time limit reached"; "" when nothing to say
  bool terminal = false;  // the Slurm job has ended (its run is finished with `status`)
  bool requeued = false;  // the job went back to the queue (preempted or requeued)
};

/// Maps a Slurm job state (squeue's %T or scontrol's JobState: PENDING, CONFIGURING, RUNNING,
/// COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, and
/// the rarer BOOT_FAIL, DEADLINE, REQUEUED, REQUEUE_HOLD, REQUEUE_FED, RESIZING, REVOKED,
/// SIGNALING, SPECIAL_EXIT, STAGE_OUT, STOPPED, SUSPENDED) with Slurm's reason (%r, "None" for
/// none) and the exit code the job script recorded (if any). COMPLETED with a non-zero recorded
/// code is Failed (Slurm counts the batch script's own exit status). An unknown state is
/// nullopt (the caller keeps the run as it is and logs it).
std::optional<SlurmStatus> map_slurm_state(const std::string& state, const std::string& reason,
                                           std::optional<int> exit_code);

}  // namespace glia::platform::compute

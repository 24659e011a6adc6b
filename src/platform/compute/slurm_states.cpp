// The Slurm state table (docs/slurm.md "States"): one row per state Slurm reports.
#include "compute/slurm_states.hpp"

namespace glia::platform::compute {

namespace {

std::string with_reason(const std::string& text, const std::string& reason) {
  if (reason.empty() || reason == "None" || reason == "(null)") return text;
  return text + " (" + reason + ")";
}

std::string exit_text(std::optional<int> code) {
  if (!code) return "";
  return "exit code " + std::to_string(*code);
}

}  // namespace

std::optional<SlurmStatus> map_slurm_state(const std::string& state, const std::string& reason,
                                           std::optional<int> exit_code) {
  // A state may carry a suffix ("CANCELLED by 0"): the first word decides.
  const std::string s = state.substr(0, state.find(' '));
  using S = RunStatus;
  if (s == "PENDING") return SlurmStatus{S::Queued, with_reason("Slurm: pending", reason)};
  if (s == "CONFIGURING")
    return SlurmStatus{S::Starting, "Slurm: configuring (nodes booting or being set up)"};
  if (s == "RUNNING" || s == "SIGNALING" || s == "RESIZING") return SlurmStatus{S::Running, ""};
  if (s == "SUSPENDED" || s == "STOPPED")
    return SlurmStatus{S::Running, with_reason("Slurm: suspended", reason)};
  if (s == "COMPLETING" || s == "STAGE_OUT") return SlurmStatus{S::Finalizing, "Slurm: completing"};
  if (s == "COMPLETED") {
    if (exit_code && *exit_code != 0) return SlurmStatus{S::Failed, exit_text(exit_code), true};
    return SlurmStatus{S::Completed, "", true};
  }
  if (s == "FAILED" || s == "SPECIAL_EXIT")
    return SlurmStatus{
        S::Failed, exit_code ? exit_text(exit_code) : with_reason("Slurm: the job failed", reason),
        true};
  if (s == "CANCELLED") return SlurmStatus{S::Canceled, "Slurm: cancelled (scancel)", true};
  if (s == "TIMEOUT") return SlurmStatus{S::Failed, "Slurm: time limit reached", true};
  if (s == "DEADLINE") return SlurmStatus{S::Failed, "Slurm: deadline reached", true};
  if (s == "NODE_FAIL")
    return SlurmStatus{S::Failed, with_reason("Slurm: a node of the job failed", reason), true};
  if (s == "BOOT_FAIL")
    return SlurmStatus{S::Failed, with_reason("Slurm: a node failed to boot", reason), true};
  if (s == "OUT_OF_MEMORY") return SlurmStatus{S::Failed, "Slurm: out of memory", true};
  if (s == "PREEMPTED")  // with --requeue Slurm puts it back in the queue; else it has ended
    return SlurmStatus{S::Failed, "Slurm: preempted", true};
  if (s == "REVOKED")
    return SlurmStatus{S::Canceled, "Slurm: revoked (run on another cluster)", true};
  if (s == "REQUEUED" || s == "REQUEUE_FED")
    return SlurmStatus{S::Queued, "requeued by Slurm", false, true};
  if (s == "REQUEUE_HOLD")
    return SlurmStatus{S::Queued, "requeued by Slurm and held (scontrol release)", false, true};
  return std::nullopt;
}

}  // namespace glia::platform::compute

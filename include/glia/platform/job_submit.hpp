// Submitting a command job: everything that can fail is checked before the run exists — the
// compute target, every input's value, the command's placeholders, that the program the command
// starts can be found — then the code folder is snapshotted into the artifact store and the run
// is created Queued, with the resolved spec recorded on it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/environment.hpp"
#include "glia/platform/job_spec.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

struct SubmitOptions {
  /// The submitter's environment: the command's program is looked up on its PATH, and the
  /// job runs with its allow-listed part (environment.hpp: the only values recorded on the run),
  /// plus the job's environment_variables, its thread share and Glia's variables.
  std::map<std::string, std::string> environment;
  /// Folders searched for the command's program besides the environment's PATH (glia's own).
  std::vector<std::filesystem::path> extra_path;
  /// Told each file the code snapshot leaves out (a link out of the code folder, an unreadable
  /// file), one line each; the lines also start the run's log.
  std::function<void(const std::string&)> warn;
  /// Who submits, as recorded on the run; empty: this process's Unix user.
  std::string submitter_name;
};

RunRecord submit_job(Workspace& ws, const JobSpec& spec, const SubmitOptions& options);

/// A job (command or sweep) a client sent as YAML text, e.g. over HTTP: `code_snapshot` is the
/// snapshot of the folder its `code` names, already in the artifact store (required exactly when
/// it names one; NotFound when the store lacks it); `overrides` are `--set` assignments. Paths on
/// the submitting machine as inputs are refused (register them as datasets, or give URLs); every
/// other check is submit_job's or submit_sweep's. Message prefixes name the text "job".
RunRecord submit_job_text(Workspace& ws, const std::string& yaml_text,
                          const std::optional<std::string>& code_snapshot,
                          const std::vector<std::string>& overrides, const SubmitOptions& options);

/// Submits a sweep: its trial is checked and prepared once as a command job would be (code
/// snapshot, inputs, environment), the earlier sweeps of resume_from are checked (each ended,
/// a sweep over the same parameter names), an unset seed is drawn and recorded, and the sweep's
/// run is created Queued (job_type "sweep"). The agent then creates its trials. Warns (not an
/// error) when the compute target runs fewer jobs at once than max_concurrent_trials.
RunRecord submit_sweep(Workspace& ws, const SweepSpec& spec, const SubmitOptions& options);

/// Requests the cancel of a job (`glia job cancel`, the REST API): refused with glia::Error
/// (Conflict) for a run that has ended or is Finalizing, (InvalidArgument) for a run its own
/// program logs to (not started as a job), (NotFound) for an unknown run. A run already
/// CancelRequested is left as it is. Returns the run as it is after the request; the caller
/// wakes the agent that carries the cancel out.
RunRecord request_job_cancel(Store& store, const std::string& id);

}  // namespace glia::platform

// The two halves of submitting a command job, shared by submit_job and submit_sweep (whose
// trials are command jobs prepared once, at the sweep's submit). Private to src/platform/.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/job_spec.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform::jobs {

struct PreparedJob {
  NewRun run;                         // everything but `spec`, which is `recorded` dumped
  nlohmann::json recorded;            // the job, its input values, the recorded environment...
  std::vector<std::string> warnings;  // the run's log starts with them
  /// The folder the run's uri inputs are under (".../.glia/runs/<id>/inputs/"): the rendered
  /// command and the recorded input values name paths in it.
  std::string inputs_dir;
};

/// Checks everything and stores what a run refers to (the code snapshot, datasets and
/// environments registered from local paths), for a run whose id will be `run_id`; writes no
/// run. ${{search_space.x}} placeholders are left in the command as written.
PreparedJob prepare_job(Workspace& ws, const JobSpec& spec, const SubmitOptions& options,
                        const std::string& run_id);
/// Creates the prepared run (Queued) and starts its log with the warnings.
RunRecord create_job_run(Workspace& ws, PreparedJob& job);

}  // namespace glia::platform::jobs

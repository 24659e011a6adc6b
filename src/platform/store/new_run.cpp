#include "store/new_run.hpp"

#include "glia/error.hpp"

namespace glia::platform {

RunRecord new_run_record(const NewRun& run) {
  if (run.experiment.empty()) throw Error("a run needs an experiment name");
  if (run.trial_index.has_value() != !run.parent_id.empty())
    throw Error("a sweep's trial needs both its parent and its index");
  if (run.queue && run.start)
    throw Error("a run is created either queued (a job) or started (start), not both");
  RunRecord r;
  r.id = run.id.empty() ? make_run_id(run.experiment) : run.id;
  r.experiment = run.experiment;
  r.display_name = run.display_name.empty() ? r.id : run.display_name;
  r.command = run.command;
  r.compute = run.compute;
  r.tags = run.tags;
  r.spec = run.spec;
  r.code_snapshot = run.code_snapshot;
  r.timeout = run.timeout;
  r.submitter_uid = run.submitter_uid;
  r.submitter_name = run.submitter_name;
  r.properties = run.properties;
  r.job_type = run.job_type;
  r.parent_id = run.parent_id;
  r.status = run.queue ? RunStatus::Queued : run.start ? RunStatus::Running : RunStatus::NotStarted;
  return r;
}

}  // namespace glia::platform

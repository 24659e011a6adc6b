// Requesting a job's cancel: the checks `glia job cancel` and the REST API share.
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/job_submit.hpp"

namespace glia::platform {

RunRecord request_job_cancel(Store& store, const std::string& id) {
  RunRecord run = store.get_run(id);
  if (is_terminal(run.status))
    throw Error(ErrorKind::Conflict, "run '" + id + "' has already ended (" +
                                         to_string(run.status) + "); nothing to cancel");
  if (run.status == RunStatus::Finalizing)
    throw Error(
        ErrorKind::Conflict,
        "run '" + id + "' is finishing (Finalizing): its process has ended, nothing to cancel");
  if (run.spec.empty())
    throw Error("run '" + id +
                "' was not started as a job (its own program logs to it); stop that program");
  if (run.status != RunStatus::CancelRequested)  // false: it ended meanwhile
    store.request_cancel(id, {}, now_seconds());
  return store.get_run(id);
}

}  // namespace glia::platform

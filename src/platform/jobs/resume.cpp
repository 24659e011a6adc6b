// `glia job resume`: a new run of an ended job that starts from the old run's checkpoint files.
#include "glia/platform/job_resume.hpp"

#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/run_paths.hpp"
#include "glia/platform/run_status.hpp"

namespace glia::platform {

namespace {

namespace fs = std::filesystem;

bool is_checkpoint_file(const RunFile& f) {
  return f.path.rfind(kCheckpointFolder, 0) == 0;
}

void check_resumable(const RunRecord& old) {
  const std::string what = "run '" + old.id + "'";
  if (old.is_sweep())
    throw Error(what + " is a sweep: submit a new sweep with resume_from: [" + old.id + "]");
  if (old.job_type != "command")
    throw Error(what +
                " was not submitted as a job (its own program started it): nothing to "
                "resume");
  if (!old.parent_id.empty())
    throw Error(what + " is a trial of sweep " + old.parent_id +
                ": resume the sweep with resume_from in a new sweep file");
  if (!is_terminal(old.status))
    throw Error(ErrorKind::Conflict, what + " is " + to_string(old.status) +
                                         ": a job is resumed once it has ended (cancel it first)");
  if (old.status == RunStatus::Completed)
    throw Error(ErrorKind::Conflict,
                what + " Completed: nothing to resume (submit the job again to rerun it)");
}

}  // namespace

ResumedJob resume_job(Workspace& ws, const std::string& run_id, const ResumeOptions& options) {
  Store& store = ws.store();
  const RunRecord old = store.get_run(run_id);
  check_resumable(old);

  NewRun run;
  run.id = make_run_id(old.experiment);
  run.experiment = old.experiment;
  run.display_name = old.display_name;
  run.compute = old.compute;
  run.tags = old.tags;
  run.code_snapshot = old.code_snapshot;
  run.timeout = old.timeout;
  run.queue = true;
  run.job_type = "command";
  const SubmittingUser user = current_user();
  run.submitter_uid = user.uid;
  run.submitter_name = options.submitter_name.empty() ? user.name : options.submitter_name;
  if (auto it = old.properties.find("environment"); it != old.properties.end())
    run.properties["environment"] = it->second;
  run.properties[kResumedFromProperty] = old.id;

  // Where the job finds its inputs (on the server, for a remote workspace): its own folder.
  const std::string from = (run_dir(ws.runs_root(), old.id).root / "inputs").string() + "/";
  const std::string to = (run_dir(ws.runs_root(), run.id).root / "inputs").string() + "/";
  run.command = replace_all(old.command, from, to);
  nlohmann::json recorded =
      old.spec.empty() ? nlohmann::json::object() : nlohmann::json::parse(old.spec);
  if (recorded.contains("inputs")) move_paths(recorded["inputs"], from, to);
  if (recorded.contains("dataset_inputs")) move_paths(recorded["dataset_inputs"], from, to);
  recorded["resumed_from"] = old.id;
  run.spec = recorded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (RunInput in : store.run_inputs(old.id)) {
    in.run_id.clear();
    run.inputs.push_back(std::move(in));
  }

  ResumedJob out;
  for (const RunFile& f : store.run_files(old.id)) out.checkpoint_files += is_checkpoint_file(f);
  out.run = store.create_run(run);
  return out;
}

int64_t restore_resumed_files(Store& store, const ArtifactStore& artifacts, const RunRecord& run,
                              const fs::path& work) {
  const auto it = run.properties.find(kResumedFromProperty);
  if (it == run.properties.end()) return 0;
  int64_t copied = 0;
  for (const RunFile& f : store.run_files(it->second)) {
    if (!is_checkpoint_file(f)) continue;
    // A stored path is checked again before it names a file in the working folder.
    const std::string rel = safe_relative_path(f.path, "run " + it->second + "'s file");
    artifacts.copy_blob_to(f.sha256, work / rel);
    ++copied;
  }
  return copied;
}

}  // namespace glia::platform

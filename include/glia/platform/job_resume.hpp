// Resuming an interrupted job from its checkpoint (`glia job resume RUN_ID`): a new run of the
// same job — its command, inputs, code snapshot, environment and compute — whose working folder
// starts with the files the old run stored under outputs/checkpoints/, so a program that
// checkpoints there (glia-keras-mnist, BackupAndRestore) goes on from its last checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// The property naming the run a resumed run continues.
inline constexpr const char* kResumedFromProperty = "resumed_from";
/// The folder of a job's working folder whose stored files a resumed run starts with.
inline constexpr const char* kCheckpointFolder = "outputs/checkpoints/";

struct ResumeOptions {
  /// Who resumes, as recorded on the new run; empty: this process's Unix user.
  std::string submitter_name;
};

struct ResumedJob {
  RunRecord run;                 // the new run, Queued
  int64_t checkpoint_files = 0;  // the old run's files under outputs/checkpoints/
};

/// Creates the new run (Queued, property resumed_from = `run_id`). Refused with glia::Error:
/// NotFound for an unknown run; InvalidArgument for a run that is not a command job (a
/// program's own run, a sweep — resume those with resume_from in a new sweep file — or a
/// sweep's trial); Conflict for a job that has not ended, or that Completed.
ResumedJob resume_job(Workspace& ws, const std::string& run_id, const ResumeOptions& options = {});

/// The agent's part, while it prepares `run`: when the run was resumed, copies the files its
/// earlier run stored under outputs/checkpoints/ into `work` (the job's working folder) at the
/// same paths. Returns how many it copied.
int64_t restore_resumed_files(Store& store, const ArtifactStore& artifacts, const RunRecord& run,
                              const std::filesystem::path& work);

}  // namespace glia::platform

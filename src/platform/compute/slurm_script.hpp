// The batch script Glia submits for a job on a Slurm target (kept with the run as
// logs/slurm/job.sbatch): #SBATCH lines from the target and the job, the job's command (or its
// srun line for a distributed job), and its exit status written atomically to a file in the
// run's folder. The job's environment is never written into it: sbatch passes its own
// environment on (--export=ALL), so secrets stay out of files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "compute/distributed_launch.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::compute {

struct SlurmScriptInput {
  std::string run_id;
  ComputeTarget target;
  std::string command;  // the job's command line, as the local target runs it under /bin/sh
  std::filesystem::path work_dir, std_log, exit_file, rank_dir;
  Distribution dist;
  std::optional<double> timeout;  // the job's limits.timeout, seconds
  int64_t cpus_per_task = 0;      // 0: Slurm's default
};

/// Slurm's --time for `seconds`: whole minutes, rounded up ("1" for 1 to 60 s).
std::string slurm_minutes(double seconds);

/// The script. Throws glia::Error when the job asks for more nodes than the target's max_nodes.
std::string slurm_script(const SlurmScriptInput& in);

}  // namespace glia::platform::compute

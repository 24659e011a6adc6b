// Launching a distributed (MPI) job: the spec's `distribution` and `resources.instance_count`
// read back from the run's recorded spec, the `mpirun` line of the local target, the `srun` line
// of a Slurm batch script, and the shell wrapper every rank runs (Azure-style aliases of its
// rank variables exported first, its exit status written to a per-rank file afterwards so that
// a failed run can name the rank). docs/jobs.md "Distributed jobs" lists the variables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace glia::platform::compute {

/// A job's processes, from its recorded spec (to_json(JobSpec)): `distribution.type` (only
/// "mpi" reaches an agent: parse_job_spec refuses the others), the processes per instance
/// (node) and the instance (node) count. A job without `distribution` is 1 × instance_count.
struct Distribution {
  std::string type;  // "" (none) | "mpi"
  int64_t process_count_per_instance = 1;
  int64_t instance_count = 1;
  int64_t processes() const { return process_count_per_instance * instance_count; }
  /// More than one process, or an explicit `distribution: {type: mpi}` (launched through the
  /// MPI launcher even with one process, so that the rank variables exist).
  bool distributed() const { return !type.empty() || processes() > 1; }
};

/// Reads "distribution" and "resources"."instance_count" of a run's recorded spec (the job's
/// under "job", as submit records it) or of to_json(JobSpec) itself; absent: 1 × 1.
Distribution distribution_of(const nlohmann::json& recorded);

/// How the agent starts a distributed job on the local target.
struct LaunchPlan {
  std::string command;              // the shell line spawn_job runs under /bin/sh -c
  int64_t processes = 1;            // MPI world size
  int64_t threads_per_process = 1;  // the job's thread share divided among its processes
  std::filesystem::path rank_dir;   // where each rank writes rank-R.exit (rank_wrapper)
};

/// `mpirun -np N [--allow-run-as-root when root] --oversubscribe --bind-to none -x ...
/// /bin/sh -c '<rank_wrapper>'` for `command` (rendered, as the local target runs it), with the
/// job's `threads` (its thread share) divided among the processes (at least 1 each). The caller
/// exports threads_per_process (export_threads) into the job's environment, which mpirun hands
/// to every rank. The mpirun program is GLIA_MPIRUN when set, else `mpirun` on PATH. Throws
/// glia::Error (InvalidArgument) for instance_count > 1 (the local target is one machine).
LaunchPlan local_mpi_launch(const Distribution& dist, const std::string& command, int64_t threads,
                            const std::filesystem::path& rank_dir);

/// Throws glia::Error (Unavailable) when the MPI launcher (GLIA_MPIRUN, else mpirun) is not an
/// executable on `env`'s PATH: "mpirun not found on the job's PATH ...: install OpenMPI ...".
void check_launcher(const std::map<std::string, std::string>& env);

/// The line of a Slurm batch script that starts instance_count × process_count_per_instance
/// tasks of `command`: `srun [--mpi=PLUGIN] --nodes=M --ntasks-per-node=N --ntasks=M*N
/// --kill-on-bad-exit=1 /bin/sh -c '<rank_wrapper>'`. `mpi_plugin` empty: Slurm's MpiDefault.
std::string srun_line(const Distribution& dist, const std::string& command,
                      const std::filesystem::path& rank_dir, const std::string& mpi_plugin = "");

/// POSIX sh code that exports the rank aliases from whichever launcher started the process
/// (OMPI_COMM_WORLD_* from mpirun, PMIX_RANK, SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID/
/// SLURM_NODEID from srun): RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK,
/// MASTER_ADDR and Azure's AZ_BATCHAI_MPI_MASTER_NODE (docs/jobs.md). A launcher's own variables
/// are never made up; values the environment already has are kept.
std::string rank_env_preamble();

/// What one rank runs: the preamble, then `command` in a background subshell watched by a
/// watchdog that kills the rank's process group when the launcher (the wrapper's parent) is
/// gone (OpenMPI gives each rank a process group of its own, out of reach of the job's), then
/// its exit status written atomically to `rank_dir`/rank-$RANK.exit (one line: the status as $?
/// gives it), and the wrapper exits with that status.
std::string rank_wrapper(const std::string& command, const std::filesystem::path& rank_dir);

/// After a distributed job ended unsuccessfully: which rank failed and how, from the exit files,
/// e.g. "rank 1 of 2 exited with code 3" or "rank 1 of 2 was killed by signal 9 (SIGKILL)"
/// (a status above 128 is reported as the signal, as shells do); when no rank recorded a
/// failure, the ranks that recorded nothing ("rank 1 of 2 ended without recording its exit
/// status"); nullopt when every rank recorded 0.
std::optional<std::string> failed_rank_message(const std::filesystem::path& rank_dir,
                                               int64_t processes);

/// The text in single quotes for /bin/sh.
std::string sh_quote(const std::string& text);

}  // namespace glia::platform::compute

// The MPI launch lines of distributed jobs (distributed_launch.hpp): mpirun on the local target,
// srun in a Slurm batch script, and the wrapper each rank runs.
#include "compute/distributed_launch.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "compute/job_process.hpp"
#include "glia/error.hpp"

namespace glia::platform::compute {

namespace fs = std::filesystem;

namespace {

int64_t count_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return 1;
  const auto& value = object[key];
  return value.is_number_integer() && value.get<int64_t>() > 0 ? value.get<int64_t>() : 1;
}

// The rank aliases. Each line keeps a value the environment already has (a job's own
// environment_variables, or a launcher that sets them).
constexpr const char* kPreamble =
    "if [ -n \"${OMPI_COMM_WORLD_RANK:-}\" ]; then "
    "glia_rank=$OMPI_COMM_WORLD_RANK; glia_size=${OMPI_COMM_WORLD_SIZE:-1}; "
    "glia_local=${OMPI_COMM_WORLD_LOCAL_RANK:-0}; "
    "glia_local_size=${OMPI_COMM_WORLD_LOCAL_SIZE:-1}; "
    "glia_node=$((glia_rank / glia_local_size)); "
    "elif [ -n \"${SLURM_PROCID:-}\" ]; then "
    "glia_rank=$SLURM_PROCID; glia_size=${SLURM_NTASKS:-1}; glia_local=${SLURM_LOCALID:-0}; "
    "glia_local_size=${SLURM_NTASKS_PER_NODE:-${SLURM_TASKS_PER_NODE%%(*}}; "
    "glia_local_size=${glia_local_size%%,*}; glia_node=${SLURM_NODEID:-0}; "
    "elif [ -n \"${PMIX_RANK:-}\" ]; then "
    "glia_rank=$PMIX_RANK; glia_size=${PMIX_SIZE:-${PMI_SIZE:-1}}; glia_local=0; "
    "glia_local_size=1; glia_node=$PMIX_RANK; "
    "else glia_rank=0; glia_size=1; glia_local=0; glia_local_size=1; glia_node=0; fi; "
    "if [ -n \"${SLURM_JOB_NODELIST:-}\" ] && command -v scontrol >/dev/null 2>&1; then "
    "glia_master=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" 2>/dev/null | head -n 1); "
    "fi; glia_master=${glia_master:-127.0.0.1}; "
    "export RANK=\"${RANK:-$glia_rank}\" WORLD_SIZE=\"${WORLD_SIZE:-$glia_size}\" "
    "LOCAL_RANK=\"${LOCAL_RANK:-$glia_local}\" "
    "LOCAL_WORLD_SIZE=\"${LOCAL_WORLD_SIZE:-$glia_local_size}\" "
    "NODE_RANK=\"${NODE_RANK:-$glia_node}\" "
    "MASTER_ADDR=\"${MASTER_ADDR:-$glia_master}\" "
    "AZ_BATCHAI_MPI_MASTER_NODE=\"${AZ_BATCHAI_MPI_MASTER_NODE:-$glia_master}\"; "
    "unset glia_rank glia_size glia_local glia_local_size glia_node glia_master";

std::string signal_text(int sig) {
  return "signal " + std::to_string(sig) + " (" + signal_name(sig) + ")";
}

// The program that starts the ranks: GLIA_MPIRUN (tests, a site's own), else mpirun on PATH.
std::string mpirun_program() {
  const char* own = std::getenv("GLIA_MPIRUN");
  return own && *own ? std::string(own) : std::string("mpirun");
}

}  // namespace

std::string sh_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Distribution distribution_of(const nlohmann::json& recorded) {
  Distribution d;
  if (!recorded.is_object()) return d;
  // A run's recorded spec holds the job's under "job"; to_json(JobSpec) is the job's itself.
  const nlohmann::json& spec =
      recorded.contains("job") && recorded["job"].is_object() ? recorded["job"] : recorded;
  if (spec.contains("distribution") && spec["distribution"].is_object()) {
    const auto& dist = spec["distribution"];
    d.type = dist.value("type", std::string("mpi"));
    d.process_count_per_instance = count_of(dist, "process_count_per_instance");
  }
  if (spec.contains("resources")) d.instance_count = count_of(spec["resources"], "instance_count");
  return d;
}

void check_launcher(const std::map<std::string, std::string>& env) {
  const std::string program = mpirun_program();
  const auto usable = [](const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; };
  if (program.find('/') != std::string::npos) {
    if (usable(program)) return;
  } else {
    const auto it = env.find("PATH");
    const std::string path = it == env.end() ? std::string() : it->second;
    for (size_t start = 0; start <= path.size();) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      const std::string dir = path.substr(start, end - start);
      if (!dir.empty() && usable(fs::path(dir) / program)) return;
      start = end + 1;
    }
  }
  const bool path = program.find('/') != std::string::npos;
  throw Error(ErrorKind::Unavailable,
              "a distributed job needs the MPI launcher, but " + program + " was not found" +
                  (path ? " (GLIA_MPIRUN)" : " on the job's PATH") +
                  ": install OpenMPI (Debian: apt-get install openmpi-bin) or set GLIA_MPIRUN "
                  "for the agent");
}

std::string rank_env_preamble() {
  return kPreamble;
}

std::string rank_wrapper(const std::string& command, const fs::path& rank_dir) {
  // The command runs in a subshell in the background so that a watchdog can end the rank's
  // process group when its launcher is gone: OpenMPI puts each rank in a process group of its
  // own, so a launcher killed with SIGKILL (which it cannot forward) would leave the ranks
  // running. The status is then written atomically (temp file + rename).
  const std::string dir = sh_quote(rank_dir.string());
  return rank_env_preamble() + "\nglia_launcher=$PPID\n(\n" + command +
         "\n) &\nglia_job=$!\n"
         "( trap 'exit 0' TERM; while kill -0 \"$glia_launcher\" 2>/dev/null; do sleep 1; done; "
         "kill -KILL 0 ) </dev/null >/dev/null 2>&1 &\n"
         "glia_watch=$!\n"
         "wait \"$glia_job\"; glia_status=$?\n"
         "kill \"$glia_watch\" 2>/dev/null\n"
         "printf '%s\\n' \"$glia_status\" > " +
         dir + "/.rank-\"$RANK\".exit.tmp && mv -f " + dir + "/.rank-\"$RANK\".exit.tmp " + dir +
         "/rank-\"$RANK\".exit\n"
         "exit \"$glia_status\"";
}

LaunchPlan local_mpi_launch(const Distribution& dist, const std::string& command, int64_t threads,
                            const fs::path& rank_dir) {
  if (dist.instance_count > 1) {
    throw Error(ErrorKind::InvalidArgument,
                "resources.instance_count: " + std::to_string(dist.instance_count) +
                    ": the local compute target is one machine (expected 1)");
  }
  LaunchPlan plan;
  plan.processes = dist.processes();
  plan.threads_per_process = std::max<int64_t>(1, threads / plan.processes);
  plan.rank_dir = rank_dir;
  std::string line =
      "exec " + sh_quote(mpirun_program()) + " -np " + std::to_string(plan.processes);
  if (::geteuid() == 0) line += " --allow-run-as-root";
  line += " --oversubscribe --bind-to none /bin/sh -c " + sh_quote(rank_wrapper(command, rank_dir));
  plan.command = line;
  return plan;
}

std::string srun_line(const Distribution& dist, const std::string& command,
                      const fs::path& rank_dir, const std::string& mpi_plugin) {
  std::string line = "srun";
  if (!mpi_plugin.empty()) line += " --mpi=" + mpi_plugin;
  line += " --nodes=" + std::to_string(dist.instance_count) +
          " --ntasks-per-node=" + std::to_string(dist.process_count_per_instance) +
          " --ntasks=" + std::to_string(dist.processes()) + " --kill-on-bad-exit=1 /bin/sh -c " +
          sh_quote(rank_wrapper(command, rank_dir));
  return line;
}

std::optional<std::string> failed_rank_message(const fs::path& rank_dir, int64_t processes) {
  std::vector<std::string> failed, silent;
  const std::string of = " of " + std::to_string(processes);
  for (int64_t r = 0; r < processes; ++r) {
    std::ifstream in(rank_dir / ("rank-" + std::to_string(r) + ".exit"));
    int status = -1;
    if (!(in >> status) || status < 0) {
      silent.push_back(std::to_string(r));
      continue;
    }
    if (status == 0) continue;
    const std::string rank = "rank " + std::to_string(r) + of;
    if (status > 128 && status < 128 + NSIG)
      failed.push_back(rank + " was killed by " + signal_text(status - 128));
    else
      failed.push_back(rank + " exited with code " + std::to_string(status));
  }
  auto joined = [](const std::vector<std::string>& items, size_t most, const char* sep) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < most; ++i) out += (i ? sep : "") + items[i];
    if (items.size() > most) out += "; and " + std::to_string(items.size() - most) + " more";
    return out;
  };
  if (!failed.empty()) return joined(failed, 4, "; ");
  if (silent.empty()) return std::nullopt;
  if (silent.size() == 1)
    return "rank " + silent.front() + of + " ended without recording its exit status";
  return "ranks " + joined(silent, 8, ", ") + of + " ended without recording their exit status";
}

}  // namespace glia::platform::compute

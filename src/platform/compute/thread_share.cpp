#include "compute/thread_share.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

namespace glia::platform::compute {

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
}

ThreadShare thread_share(std::optional<int64_t> job_threads, std::optional<int64_t> target_threads,
                         int cores, int64_t jobs_at_once) {
  if (job_threads && *job_threads > 0) return {*job_threads, "the job's resources.threads"};
  if (target_threads && *target_threads > 0)
    return {*target_threads, "the compute target's threads_per_job"};
  const int64_t jobs = std::max<int64_t>(1, jobs_at_once);
  return {std::max<int64_t>(1, cores / jobs), std::to_string(cores) + " cores shared by " +
                                                  std::to_string(jobs) +
                                                  (jobs == 1 ? " job" : " jobs")};
}

void export_threads(std::map<std::string, std::string>& env, int64_t threads,
                    const std::map<std::string, std::string>& user_set) {
  const std::string n = std::to_string(threads);
  auto set = [&](const char* name, const std::string& value) {
    if (!user_set.count(name)) env[name] = value;
  };
  for (const char* name :
       {"OMP_NUM_THREADS", "GLIA_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"})
    set(name, n);
  // libgomp's threads spin ~300,000 times for the next parallel region before they sleep:
  // with jobs (or anything else) sharing the cores, they spin against each other. PASSIVE
  // makes them sleep at once: measured on 2 busy cores, a 2-thread seed training took 2.1-2.9 s
  // passive, 4.2-4.4 s with GOMP_SPINCOUNT=1000, 14-20 s with 10,000, 17-39 s by default
  // (bench/README.md). The user's own spin policy (either variable) wins.
  if (!user_set.count("OMP_WAIT_POLICY") && !user_set.count("GOMP_SPINCOUNT"))
    env["OMP_WAIT_POLICY"] = "PASSIVE";
}

}  // namespace glia::platform::compute

// How many compute threads a job on the local target gets, and how it is told. Jobs running at
// once share the cores: each gets cores / jobs (at least 1) unless its target or the job itself
// says otherwise, and the count is exported the ways OpenMP, BLAS and TensorFlow read it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace glia::platform::compute {

/// The cores this process may run on (sched_getaffinity), at least 1.
int usable_cores();

struct ThreadShare {
  int64_t threads = 1;
  std::string reason;  // recorded on the run: where the count came from
};

/// The job's resources.threads when set, else the target's threads_per_job, else
/// cores / jobs_at_once (the jobs the agent runs at once, this one included), at least 1.
ThreadShare thread_share(std::optional<int64_t> job_threads, std::optional<int64_t> target_threads,
                         int cores, int64_t jobs_at_once);

/// Sets the thread variables (OMP_NUM_THREADS, GLIA_THREADS, MKL_NUM_THREADS,
/// OPENBLAS_NUM_THREADS, TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS) to `threads`, and
/// OMP_WAIT_POLICY=PASSIVE, so that idle OpenMP threads sleep instead of spinning against other
/// jobs — except the variables `user_set` names (the job's environment_variables win; setting
/// OMP_WAIT_POLICY or GOMP_SPINCOUNT there keeps Glia's policy out).
void export_threads(std::map<std::string, std::string>& env, int64_t threads,
                    const std::map<std::string, std::string>& user_set);

}  // namespace glia::platform::compute

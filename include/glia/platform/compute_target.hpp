// A compute target (the store's record of one) and the check every store applies to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace glia::platform {

/// A compute target: jobs queue on it and at most max_concurrent run at once. Type "local" runs
/// them on this machine; "slurm" submits them to a Slurm cluster (docs/slurm.md) with its
/// partition, account, QoS and time limit, and refuses jobs asking for more than max_nodes.
struct ComputeTarget {
  std::string name;
  std::string type = "local";
  int64_t max_concurrent = 1;
  std::string description;
  double created_at = 0;
  /// Compute threads each job gets; unset: a share of the usable cores (cores / jobs running).
  std::optional<int64_t> threads_per_job;
  // Slurm targets only (empty / unset elsewhere).
  std::string partition;             // sbatch --partition (required)
  std::optional<int64_t> max_nodes;  // the most nodes (instance_count) one job may ask for
  std::string account, qos;          // sbatch --account / --qos
  std::string time_limit;            // sbatch --time, in Slurm's format ("30", "1:00:00", "1-0")
};

/// Throws glia::Error when a target is not valid: an unknown type, max_concurrent < 1,
/// threads_per_job outside 1..4096, a Slurm target without a partition or with a time limit
/// Slurm does not read, Slurm settings on a local target. Every Store checks targets with it
/// before writing one.
void check_compute(const ComputeTarget& target);

}  // namespace glia::platform

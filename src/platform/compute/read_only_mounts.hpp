// Making dataset views and the blob store read-only for a job, in a way the job cannot undo:
// a mount namespace of its own where the paths are bind-mounted read-only, then a user
// namespace on top, which locks those mounts (the kernel refuses to remount them writable from a
// less privileged user namespace) — for root and ordinary users alike.
#pragma once

#include <string>
#include <vector>

namespace glia::platform::compute {

/// Prepared before fork (the child may only make async-signal-safe calls).
struct ReadOnlyPlan {
  std::vector<std::string> paths;
  std::string uid_map, gid_map;  // "<id> <id> 1": the job keeps its ids
};

ReadOnlyPlan plan_read_only(const std::vector<std::string>& paths);

/// In the forked child: applies the plan. Returns true when the paths are mounted read-only and
/// locked; false when the kernel allows no namespaces here (then only file permissions guard
/// them). Async-signal-safe.
bool lock_read_only(const ReadOnlyPlan& plan);

}  // namespace glia::platform::compute

// What every store implementation checks about a compute target, and the lookup that names the
// known targets. The one place a target's type and limits are checked (ARCHITECTURE.md).
#include <regex>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

namespace {

// Slurm's --time formats: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S", or UNLIMITED.
bool slurm_time(const std::string& s) {
  static const std::regex re(R"(UNLIMITED|INFINITE|\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2})");
  return std::regex_match(s, re);
}

}  // namespace

void check_compute(const ComputeTarget& t) {
  if (t.type != "local" && t.type != "slurm")
    throw Error("compute '" + t.name + "': unknown type '" + t.type +
                "' (expected: local or slurm)");
  if (t.type == "slurm") {
    if (t.partition.empty())
      throw Error("compute '" + t.name + "': a slurm target needs a partition (--partition)");
    if (t.max_nodes && (*t.max_nodes < 1 || *t.max_nodes > 100000))
      throw Error("compute '" + t.name + "': max_nodes must be 1 to 100000, got " +
                  std::to_string(*t.max_nodes));
    if (!t.time_limit.empty() && !slurm_time(t.time_limit))
      throw Error("compute '" + t.name + "': time_limit '" + t.time_limit +
                  "' is not a Slurm time (expected minutes, H:M:S, D-H:M:S or UNLIMITED)");
    for (const std::string* v : {&t.partition, &t.account, &t.qos})
      if (v->find_first_of(" \t\n'\"\\$`;") != std::string::npos)
        throw Error("compute '" + t.name + "': '" + *v +
                    "' is not a Slurm partition/account/QoS name (no spaces or quotes)");
  } else if (!t.partition.empty() || t.max_nodes || !t.account.empty() || !t.qos.empty() ||
             !t.time_limit.empty()) {
    throw Error("compute '" + t.name +
                "': partition, max_nodes, account, qos and time_limit are for --type slurm "
                "(this target is local)");
  }
  if (t.max_concurrent < 1)
    throw Error("compute '" + t.name + "': max_concurrent must be at least 1");
  if (t.threads_per_job && (*t.threads_per_job < 1 || *t.threads_per_job > 4096))
    throw Error("compute '" + t.name + "': threads_per_job must be 1 to 4096, got " +
                std::to_string(*t.threads_per_job));
}

ComputeTarget Store::get_compute(const std::string& name) {
  if (auto t = find_compute(name)) return *t;
  std::string known;
  for (const auto& t : list_computes()) known += (known.empty() ? "" : ", ") + t.name;
  throw Error(ErrorKind::NotFound, "unknown compute '" + name + "' (known: " + known +
                                       "; create one with 'glia compute create --name " + name +
                                       "')");
}

}  // namespace glia::platform

// What every store implementation checks about a compute target, and the lookup that names the
// known targets. The one place a target's type and limits are checked (ARCHITECTURE.md).
#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

void check_compute(const ComputeTarget& t) {
  if (t.type != "local")
    throw Error("compute '" + t.name + "': unknown type '" + t.type + "' (expected: local)");
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

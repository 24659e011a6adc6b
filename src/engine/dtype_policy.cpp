#include "glia/dtype_policy.hpp"

#include <atomic>

#include "glia/error.hpp"

namespace glia {

namespace {
std::atomic<DTypePolicy> g_global_policy{DTypePolicy::float32};
}  // namespace

std::string policy_name(DTypePolicy policy) {
  return policy == DTypePolicy::mixed_bfloat16 ? "mixed_bfloat16" : "float32";
}

std::string compute_dtype_name(DTypePolicy policy) {
  return policy == DTypePolicy::mixed_bfloat16 ? "bfloat16" : "float32";
}

std::vector<std::string> dtype_policy_names() {
  return {"float32", "mixed_bfloat16"};
}

DTypePolicy parse_dtype_policy(const std::string& name, const std::string& what) {
  if (name == "float32") return DTypePolicy::float32;
  if (name == "mixed_bfloat16") return DTypePolicy::mixed_bfloat16;
  throw Error(ErrorKind::InvalidArgument,
              what + " '" + name + "' is not supported (expected float32 or mixed_bfloat16)");
}

namespace mixed_precision {

void set_global_policy(DTypePolicy policy) {
  g_global_policy.store(policy);
}

void set_global_policy(const std::string& name) {
  set_global_policy(parse_dtype_policy(name, "global dtype policy"));
}

DTypePolicy global_policy() {
  return g_global_policy.load();
}

}  // namespace mixed_precision

}  // namespace glia

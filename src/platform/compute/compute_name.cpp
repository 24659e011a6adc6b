// The name rule of compute targets.
#include "glia/error.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::platform {

void check_compute_name(const std::string& name) {
  static const std::string ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
  if (name.empty() || name.size() > 64 || name.find_first_not_of(ok) != std::string::npos)
    throw Error("compute name '" + name +
                "' is not valid (expected 1-64 letters, digits, '-' or '_')");
}

}  // namespace glia::platform

#include <map>
#include <mutex>

#include "backends/cpu_backend.hpp"
#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"

namespace glia {

std::vector<std::string> backend_names() {
  return {"cpu", "reference"};
}

std::shared_ptr<Backend> get_backend(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Backend>> instances;
  std::lock_guard lock(mu);
  auto it = instances.find(name);
  if (it != instances.end()) return it->second;
  std::shared_ptr<Backend> b;
  if (name == "cpu")
    b = std::make_shared<CpuBackend>();
  else if (name == "reference")
    b = std::make_shared<ReferenceBackend>();
  else
    throw Error("unknown backend '" + name + "' (expected cpu or reference)");
  instances[name] = b;
  return b;
}

std::shared_ptr<Backend> default_backend() {
  return get_backend("cpu");
}

}  // namespace glia

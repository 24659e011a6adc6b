#include <map>
#include <mutex>

#include "backends/cpu_backend.hpp"
#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"
#include "glia/tensor.hpp"

namespace glia {

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendFactory> factories;
  std::map<std::string, std::shared_ptr<Backend>> instances;
  std::string default_name = "cpu";
};

// Constructed on first use, so static initializers of other translation units may register.
Registry& registry() {
  static Registry r;
  return r;
}

std::vector<std::string> available_locked(Registry& r) {
  std::vector<std::string> names = {"cpu", "reference"};
  for (auto& [name, f] : r.factories)
    if (!f.available || f.available()) names.push_back(name);
  return names;
}

}  // namespace

void register_backend(const std::string& name, BackendFactory factory) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.factories[name] = std::move(factory);
}

std::vector<std::string> backend_names() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  return available_locked(r);
}

std::shared_ptr<Backend> get_backend(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.instances.find(name);
  if (it != r.instances.end()) return it->second;
  std::shared_ptr<Backend> b;
  auto f = r.factories.find(name);
  if (name == "cpu") {
    b = std::make_shared<CpuBackend>();
  } else if (name == "reference") {
    b = std::make_shared<ReferenceBackend>();
  } else if (f != r.factories.end() && (!f->second.available || f->second.available())) {
    b = f->second.make();
  } else {
    std::string known;
    for (auto& n : available_locked(r)) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown or unavailable backend '" + name + "' (available: " + known + ")");
  }
  r.instances[name] = b;
  return b;
}

std::shared_ptr<Backend> default_backend() {
  std::string name;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    name = r.default_name;
  }
  return get_backend(name);
}

void use_backend(const std::string& name) {
  static const TensorAllocator host = tensor_allocator();
  get_backend(name);  // validates the name and creates the instance
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto f = r.factories.find(name);
  set_tensor_allocator(f != r.factories.end() && f->second.allocator ? *f->second.allocator : host);
  r.default_name = name;
}

}  // namespace glia

#include <map>
#include <mutex>

#include "backends/cpu_backend.hpp"
#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"
#include "glia/tensor.hpp"

#ifdef GLIA_WITH_CUDA
#include "backends/cuda/cuda_backend.hpp"
#endif

namespace glia {

namespace {
std::mutex g_mu;
std::string g_default = "cpu";
}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names = {"cpu", "reference"};
#ifdef GLIA_WITH_CUDA
  if (cuda_device_available()) names.push_back("cuda");
#endif
  return names;
}

std::shared_ptr<Backend> get_backend(const std::string& name) {
  static std::map<std::string, std::shared_ptr<Backend>> instances;
  std::lock_guard lock(g_mu);
  auto it = instances.find(name);
  if (it != instances.end()) return it->second;
  std::shared_ptr<Backend> b;
  if (name == "cpu") {
    b = std::make_shared<CpuBackend>();
  } else if (name == "reference") {
    b = std::make_shared<ReferenceBackend>();
#ifdef GLIA_WITH_CUDA
  } else if (name == "cuda") {
    if (!cuda_device_available()) throw Error("backend 'cuda': no CUDA device is available");
    b = make_cuda_backend();
#endif
  } else {
    std::string known;
    for (auto& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown backend '" + name + "' (available: " + known + ")");
  }
  instances[name] = b;
  return b;
}

std::shared_ptr<Backend> default_backend() {
  std::string name;
  {
    std::lock_guard lock(g_mu);
    name = g_default;
  }
  return get_backend(name);
}

void use_backend(const std::string& name) {
  static const TensorAllocator host = tensor_allocator();
  get_backend(name);  // validates the name and creates the instance
  set_tensor_allocator(host);
#ifdef GLIA_WITH_CUDA
  if (name == "cuda") set_tensor_allocator(cuda_managed_allocator());
#endif
  std::lock_guard lock(g_mu);
  g_default = name;
}

}  // namespace glia

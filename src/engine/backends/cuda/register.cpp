// Makes "cuda" known to the backend registry in every program linked with glia_cuda.
#include "backends/cuda/cuda_backend.hpp"

namespace glia {
namespace {

const bool registered = [] {
  register_backend("cuda", {cuda_device_available, make_cuda_backend, cuda_managed_allocator()});
  return true;
}();

}  // namespace
}  // namespace glia

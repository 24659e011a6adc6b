// The CUDA backend's entry points (built only with GLIA_CUDA; see cmake/cuda.cmake). Plain C++:
// callers need no CUDA headers. The backend keeps the Backend interface unchanged: tensors live in
// CUDA managed memory (cuda_managed_allocator()), which host code and kernels address through the
// same pointers; kernels run asynchronously on one stream per backend and synchronize() waits.
#pragma once

#include <memory>

#include "glia/backend.hpp"
#include "glia/tensor.hpp"

namespace glia {

/// True when the CUDA runtime loads and reports at least one device. Never throws; the answer is
/// computed once per process.
bool cuda_device_available();

/// A new CUDA backend ("cuda") on the current device, with its own stream and cuBLAS handle.
/// Throws glia::Error when no device is usable.
std::shared_ptr<Backend> make_cuda_backend();

/// Tensor storage in CUDA managed memory ("cuda_managed"): zeroed, at least 256-byte aligned,
/// addressable from the host and the device.
TensorAllocator cuda_managed_allocator();

}  // namespace glia

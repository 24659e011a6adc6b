// The one oneDNN CPU engine and stream the CPU backend's primitives (convolution, pooling,
// normalization) run on. oneDNN is built on OpenMP here, so its primitives run on Glia's one
// OpenMP pool (runtime.hpp) with its thread count. oneDNN keeps its own primitive cache, so a
// kernel may create its primitive on each call: the same shapes hit the cache.
#pragma once

#include <cstddef>
#include <oneapi/dnnl/dnnl.hpp>

namespace glia::dnnl_context {

/// The CPU engine (index 0), made on first use.
dnnl::engine& engine();
/// A new in-order stream on engine(): streams are cheap, and one per call keeps kernels
/// callable from several threads at once.
dnnl::stream stream();
/// True when this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX), as oneDNN sees it.
bool native_bf16();

/// Host memory of at least the bytes asked for, 64-byte aligned, grown on demand and kept
/// between calls: declare one `thread_local` per use (operand copies, scratchpads).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();
  void* get(size_t bytes);

 private:
  void* p_ = nullptr;
  size_t size_ = 0;
};

}  // namespace glia::dnnl_context

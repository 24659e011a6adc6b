// The shared oneDNN CPU engine (see dnnl_context.hpp).
#include "backends/dnnl_context.hpp"

#include <cstdlib>

#include "glia/error.hpp"

namespace glia::dnnl_context {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream stream() {
  return dnnl::stream(engine());
}

bool native_bf16() {
  static const bool native = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;  // AMX's mask contains AVX512-BF16's; AVX2-VNNI's does not
  }();
  return native;
}

Buffer::~Buffer() {
  std::free(p_);
}

void* Buffer::get(size_t bytes) {
  if (bytes > size_ || !p_) {
    std::free(p_);
    p_ = nullptr;
    size_ = 0;
    const size_t rounded = (bytes + 64) / 64 * 64;  // never zero bytes
    p_ = std::aligned_alloc(64, rounded);
    if (!p_) throw Error(ErrorKind::Internal, "out of memory for a oneDNN buffer");
    size_ = rounded;
  }
  return p_;
}

}  // namespace glia::dnnl_context

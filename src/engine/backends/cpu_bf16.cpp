// The CPU backend's bfloat16 compute (mixed_bfloat16): operands rounded to bfloat16 in per-thread
// buffers, and oneDNN's bf16 matmul (AVX512-BF16 or AMX kernels) accumulating in float32 into C.
// On a CPU without bfloat16 hardware the Backend's emulation (rounded float copies and sgemm)
// gives the same numbers more slowly.
#include <omp.h>

#include <cstring>
#include <memory>

#include "backends/cpu_backend.hpp"
#include "backends/cpu_parallel.hpp"
#include "backends/dnnl_cache.hpp"
#include "backends/dnnl_context.hpp"
#include "backends/formulas.hpp"
#include "glia/error.hpp"

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>  // the bf16 conversion instruction, only where the compiler targets it
#endif

namespace glia {

namespace {

using dnnl::memory;
using dt = memory::data_type;

// n floats to bfloat16 bits with round_bf16's rounding (ties to even, NaN kept quiet).
void to_bf16_bits(const float* s, int64_t n, uint16_t* d) {
  int64_t c = 0;
#if defined(__AVX512BF16__) && defined(__AVX512F__)
  // One instruction per 16 values (twice the integer path's speed). It rounds as the formula
  // does, except that it flushes subnormal inputs to zero, as the compute threads (FTZ/DAZ) do.
  for (; c + 16 <= n; c += 16) {
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + c));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + c), reinterpret_cast<const __m256i&>(v));
  }
#endif
#pragma omp simd
  for (int64_t i = c; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &s[i], sizeof u);
    const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
    d[i] = static_cast<uint16_t>((nan ? (u | 0x00400000u) : rounded) >> 16);
  }
}

// A stored rows×cols block (leading dimension ld) and where its packed bfloat16 copy goes.
struct Operand {
  const float* src;
  int64_t rows, cols, ld;
  uint16_t* dst;
  void row(int64_t r) const { to_bf16_bits(src + r * ld, cols, dst + r * cols); }
};

// Packs both operands of a product, in one parallel region (rows split across the threads).
void pack_bf16(const Operand& a, const Operand& b) {
  if (a.rows * a.cols + b.rows * b.cols < 32768 || omp_get_max_threads() == 1) {
    for (int64_t r = 0; r < a.rows; ++r) a.row(r);
    for (int64_t r = 0; r < b.rows; ++r) b.row(r);
    return;
  }
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (int64_t r = 0; r < a.rows; ++r) a.row(r);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < b.rows; ++r) b.row(r);
  }
}

struct Matmul {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  memory::desc a, b, c;
};

// op(A) m×k from A packed as stored (k×m when transposed), op(B) k×n likewise, C m×n with
// leading dimension ldc; alpha as the output scale, beta as a sum post-op.
std::shared_ptr<Matmul> make_matmul(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t ldc,
                                    float alpha, float beta) {
  auto mm = std::make_shared<Matmul>();
  mm->a = memory::desc({m, k}, dt::bf16, ta ? memory::dims{1, m} : memory::dims{k, 1});
  mm->b = memory::desc({k, n}, dt::bf16, tb ? memory::dims{1, k} : memory::dims{n, 1});
  mm->c = memory::desc({m, n}, dt::f32, memory::dims{ldc, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  if (beta != 0.0f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  try {
    mm->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(mm->a, mm->b, mm->c), attr,
                                          dnnl_context::engine());
    mm->prim = dnnl::matmul(mm->pd);
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal, "oneDNN has no bf16 matmul for m=" + std::to_string(m) +
                                         " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                                         ": " + e.what());
  }
  return mm;
}

std::shared_ptr<Matmul> matmul_for(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t ldc,
                                   float alpha, float beta) {
  static PrimitiveCache<Matmul> cache;
  int32_t alpha_bits, beta_bits;
  std::memcpy(&alpha_bits, &alpha, sizeof alpha_bits);
  std::memcpy(&beta_bits, &beta, sizeof beta_bits);
  return cache.get({ta, tb, m, n, k, ldc, alpha_bits, beta_bits},
                   [&] { return make_matmul(ta, tb, m, n, k, ldc, alpha, beta); });
}

}  // namespace

bool CpuBackend::native_bf16() const {
  return dnnl_context::native_bf16();
}

void CpuBackend::round_bf16(const float* x, float* y, int64_t n) {
  cpu_parallel::parallel_chunks(n, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) y[i] = formulas::round_bf16(x[i]);
  });
}

void CpuBackend::gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                           const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                           float* c, int64_t ldc) {
  if (!native_bf16() || m <= 0 || n <= 0 || k <= 0) {
    Backend::gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  auto mm = matmul_for(ta, tb, m, n, k, ldc, alpha, beta);
  thread_local dnnl_context::Buffer a_buffer, b_buffer, scratch;
  auto* a16 = static_cast<uint16_t*>(a_buffer.get(static_cast<size_t>(m * k) * 2));
  auto* b16 = static_cast<uint16_t*>(b_buffer.get(static_cast<size_t>(k * n) * 2));
  // Each operand packed as stored: op(A) transposed is A's k×m block, read with strides.
  pack_bf16({a, ta ? k : m, ta ? m : k, lda, a16}, {b, tb ? n : k, tb ? k : n, ldb, b16});
  auto& eng = dnnl_context::engine();
  const memory::desc sd = mm->pd.scratchpad_desc();
  dnnl::stream s = dnnl_context::stream();
  mm->prim.execute(s, {{DNNL_ARG_SRC, memory(mm->a, eng, a16)},
                       {DNNL_ARG_WEIGHTS, memory(mm->b, eng, b16)},
                       {DNNL_ARG_DST, memory(mm->c, eng, c)},
                       {DNNL_ARG_SCRATCHPAD, memory(sd, eng, scratch.get(sd.get_size()))}});
  s.wait();
}

}  // namespace glia

#include "glia/runtime.hpp"

#include <omp.h>
#include <xmmintrin.h>

#include <atomic>
#include <mutex>

namespace glia {

namespace {
constexpr unsigned kFtzDaz = 0x8040;  // MXCSR flush-to-zero (bit 15) | denormals-are-zero (bit 6)
std::once_flag g_init;
std::atomic<int> g_threads{0};
}  // namespace

void enable_flush_to_zero() {
  _mm_setcsr(_mm_getcsr() | kFtzDaz);
}

bool flush_to_zero_enabled() {
  return (_mm_getcsr() & kFtzDaz) == kFtzDaz;
}

void set_num_threads(int threads) {
  if (threads <= 0) threads = omp_get_num_procs();
  omp_set_num_threads(threads);
  g_threads = threads;
  enable_flush_to_zero();
  // MXCSR is per thread: start the pool and set the mode in each of its threads. OpenMP keeps the
  // threads alive, and oneDNN runs its kernels on the same pool.
#pragma omp parallel num_threads(threads)
  enable_flush_to_zero();
}

int num_threads() {
  ensure_runtime();
  return g_threads;
}

void ensure_runtime() {
  std::call_once(g_init, [] {
    if (g_threads == 0) set_num_threads(0);
  });
}

}  // namespace glia

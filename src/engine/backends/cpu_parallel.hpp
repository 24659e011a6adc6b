// The CPU backend's parallel loops over element ranges: one contiguous chunk per OpenMP thread
// (a deterministic split), and sums whose per-thread partials are added in thread order.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace glia::cpu_parallel {

// Element-wise work below this size stays on the calling thread: forking costs more than it saves.
constexpr int64_t kParallelGrain = 16384;

// Runs fn(begin, end) over [0, n) in one contiguous chunk per thread (deterministic split).
template <class Fn>
inline void parallel_chunks(int64_t n, Fn&& fn) {
  if (n < kParallelGrain || omp_get_max_threads() == 1) {
    fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  }
}

// Deterministic parallel sum: per-thread partials added in thread order.
template <class Fn>
inline double parallel_sum(int64_t n, Fn&& fn) {
  std::vector<double> partial(omp_get_max_threads() + 1, 0.0);
  if (n < kParallelGrain || omp_get_max_threads() == 1) return fn(int64_t{0}, n);
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    partial[t] = begin < end ? fn(begin, end) : 0.0;
  }
  double s = 0;
  for (double p : partial) s += p;
  return s;
}

}  // namespace glia::cpu_parallel

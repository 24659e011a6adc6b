#include "glia/runtime.hpp"

#include <omp.h>
#include <sched.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "glia/error.hpp"

namespace glia {

namespace {
constexpr unsigned kFtzDaz = 0x8040;  // MXCSR flush-to-zero (bit 15) | denormals-are-zero (bit 6)
std::once_flag g_init;
std::atomic<int> g_threads{0};

// A thread variable's value: a positive integer (OMP_NUM_THREADS may be a list, "4,2": its
// first item is the outer level's count). 0 when unset or empty.
int threads_from(const char* name, bool list) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  std::string text(v);
  if (list) text = text.substr(0, text.find(','));
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  long n = 0;
  const bool digits = !text.empty() && text.size() <= 6 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) n = std::stol(text);
  if (n < 1)
    throw Error(std::string(name) + ": expected a positive number of threads, got '" + v + "'");
  return static_cast<int>(n);
}
}  // namespace

int default_num_threads() {
  if (int n = threads_from("GLIA_THREADS", false)) return n;
  if (int n = threads_from("OMP_NUM_THREADS", true)) return n;
  cpu_set_t set;
  CPU_ZERO(&set);
  int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : omp_get_num_procs();
  // Data-parallel ranks started by mpirun on one machine share its cores.
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE"))
    if (int ranks = std::atoi(local); ranks > 1) cores /= ranks;
  return std::max(1, cores);
}

void enable_flush_to_zero() {
  _mm_setcsr(_mm_getcsr() | kFtzDaz);
}

bool flush_to_zero_enabled() {
  return (_mm_getcsr() & kFtzDaz) == kFtzDaz;
}

void set_num_threads(int threads) {
  if (threads <= 0) threads = default_num_threads();
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

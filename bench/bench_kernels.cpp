// Micro-benchmarks of the CPU backend's kernels on the seed MLP's shapes.
#include <benchmark/benchmark.h>

#include "glia/glia.hpp"

namespace {

void BM_Gemm784x300(benchmark::State& state) {
  auto be = glia::get_backend("cpu");
  const int64_t b = state.range(0);
  glia::Tensor x({b, 784}), w({784, 300}), y({b, 300});
  for (auto _ : state) {
    be->gemm(false, false, b, 300, 784, 1.0f, x.data(), 784, w.data(), 300, 0.0f, y.data(), 300);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * b);
}
BENCHMARK(BM_Gemm784x300)->Arg(50)->Arg(256);

void BM_RmspropUpdate(benchmark::State& state) {
  auto be = glia::get_backend("cpu");
  const int64_t n = state.range(0);
  glia::Tensor w = glia::Tensor::full({n}, 0.1f), g = glia::Tensor::full({n}, 0.01f), v({n});
  for (auto _ : state) {
    be->rmsprop_update(w.data(), g.data(), v.data(), nullptr, nullptr, n, 1e-3f, 0.9f, 0.0f, 1e-7f);
    benchmark::DoNotOptimize(w.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 4 * 4);
}
BENCHMARK(BM_RmspropUpdate)->Arg(235200)->Arg(30000);

void BM_BiasRelu(benchmark::State& state) {
  auto be = glia::get_backend("cpu");
  glia::Tensor x({50, 300}), b({300});
  for (auto _ : state) {
    be->bias_activation(x.data(), b.data(), x.data(), 50, 300, glia::ActivationSpec::parse("relu"));
    benchmark::DoNotOptimize(x.data());
  }
}
BENCHMARK(BM_BiasRelu);

}  // namespace

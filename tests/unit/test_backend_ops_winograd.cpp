// The CPU backend's convolution algorithm rule (backends/cpu_conv_algorithm.hpp): Winograd for
// the forward and backward-weights passes exactly where the rule says (on CPUs where oneDNN has
// its Winograd kernels: AVX-512), direct when GLIA_CONV_ALGORITHM=direct, other values refused,
// and Winograd's results the same bit for bit call after call (nothing is chosen by timing).
// Their accuracy against the reference backend is in test_backend_ops_conv.cpp's op cases (the
// Winograd geometries there).
#include <gtest/gtest.h>

#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu_conv_algorithm.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"
#include "harness.hpp"

namespace glia {
namespace {

constexpr const char* kVariable = "GLIA_CONV_ALGORITHM";

// GLIA_CONV_ALGORITHM set (or unset, for nullptr) for one scope, restored after.
class AlgorithmVariable {
 public:
  explicit AlgorithmVariable(const char* value) {
    if (const char* old = std::getenv(kVariable)) old_ = old;
    if (value)
      setenv(kVariable, value, 1);
    else
      unsetenv(kVariable);
  }
  ~AlgorithmVariable() {
    if (old_)
      setenv(kVariable, old_->c_str(), 1);
    else
      unsetenv(kVariable);
  }
  AlgorithmVariable(const AlgorithmVariable&) = delete;
  AlgorithmVariable& operator=(const AlgorithmVariable&) = delete;

 private:
  std::optional<std::string> old_;
};

// A valid convolution of a (batch, 9, 7, in_c) input.
ConvGeometry geometry(int64_t batch, int64_t in_c, int64_t out_c, int64_t kernel = 3,
                      int64_t stride = 1) {
  ConvGeometry g;
  g.batch = batch, g.in_h = 9, g.in_w = 7, g.in_c = in_c, g.out_c = out_c;
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  return with_padding(g, ConvPadding::valid);
}

// oneDNN 2.6 has its Winograd convolutions for AVX-512 only.
bool cpu_has_winograd() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;
}

TEST(CpuConvAlgorithm, WinogradWhereTheRuleSays) {
  if (!cpu_has_winograd()) GTEST_SKIP() << "no AVX-512: oneDNN has no Winograd kernels here";
  const AlgorithmVariable unset(nullptr);
  for (bool bias : {false, true}) {
    const CpuConvImplementations im = cpu_conv_implementations(geometry(9, 16, 32), bias);
    EXPECT_TRUE(im.forward_winograd) << im.forward;
    EXPECT_TRUE(im.backward_weights_winograd) << im.backward_weights;
    EXPECT_NE(im.forward.find("wino"), std::string::npos) << im.forward;
    EXPECT_NE(im.backward_weights.find("wino"), std::string::npos) << im.backward_weights;
    EXPECT_EQ(im.backward_data.find("wino"), std::string::npos) << im.backward_data;
  }
  // Outside the rule: 1 input channel (oneDNN would pad it to 16), batch 1, a 5x5 kernel,
  // stride 2.
  for (const ConvGeometry& g : {geometry(9, 1, 32), geometry(1, 16, 32), geometry(9, 16, 32, 5),
                                geometry(9, 16, 32, 3, 2)}) {
    const CpuConvImplementations im = cpu_conv_implementations(g, false);
    EXPECT_FALSE(im.forward_winograd) << g.str() << ": " << im.forward;
    EXPECT_FALSE(im.backward_weights_winograd) << g.str() << ": " << im.backward_weights;
  }
}

TEST(CpuConvAlgorithm, DirectWhenTheVariableSaysSo) {
  {
    const AlgorithmVariable direct("direct");
    EXPECT_TRUE(!cpu_conv_winograd_allowed());
    const CpuConvImplementations im = cpu_conv_implementations(geometry(9, 16, 32), true);
    EXPECT_FALSE(im.forward_winograd || im.backward_weights_winograd);
    for (const std::string& s : {im.forward, im.backward_data, im.backward_weights})
      EXPECT_EQ(s.find("wino"), std::string::npos) << s;
  }
  const AlgorithmVariable automatic("auto");
  EXPECT_TRUE(cpu_conv_winograd_allowed());
  if (cpu_has_winograd()) {
    EXPECT_TRUE(cpu_conv_implementations(geometry(9, 16, 32), true).forward_winograd);
  }
}

TEST(CpuConvAlgorithm, RefusesAnUnknownValue) {
  const AlgorithmVariable fast("fastest");
  const ConvGeometry g = geometry(9, 16, 16);
  std::vector<float> x(g.input_size(), 0.5f), k(g.kernel_size(), 0.25f), y(g.output_size());
  auto cpu = get_backend("cpu");
  const std::string e =
      test::error_of([&] { cpu->conv2d_forward(g, x.data(), k.data(), nullptr, y.data()); });
  EXPECT_NE(e.find("GLIA_CONV_ALGORITHM must be 'direct' or 'auto', not 'fastest'"),
            std::string::npos)
      << e;
}

TEST(CpuConvAlgorithm, WinogradRepeatsBitForBit) {
  const AlgorithmVariable unset(nullptr);
  const ConvGeometry g = geometry(9, 16, 32);
  Rng rng(16);
  const auto x = test::random_floats(rng, g.input_size());
  const auto k = test::random_floats(rng, g.kernel_size());
  const auto b = test::random_floats(rng, g.out_c);
  const auto dy = test::random_floats(rng, g.output_size());
  auto cpu = get_backend("cpu");
  std::vector<float> y[2], dk[2], db[2];
  for (int run = 0; run < 2; ++run) {
    y[run].resize(g.output_size()), dk[run].resize(g.kernel_size()), db[run].resize(g.out_c);
    cpu->conv2d_forward(g, x.data(), k.data(), b.data(), y[run].data());
    cpu->conv2d_backward_weights(g, x.data(), dy.data(), dk[run].data(), db[run].data());
  }
  EXPECT_TRUE(test::bit_equal(y[1].data(), y[0].data(), g.output_size()));
  EXPECT_TRUE(test::bit_equal(dk[1].data(), dk[0].data(), g.kernel_size()));
  EXPECT_TRUE(test::bit_equal(db[1].data(), db[0].data(), g.out_c));
}

}  // namespace
}  // namespace glia

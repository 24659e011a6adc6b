// The model's BatchNormalization + ReLU fusion (issue 16): a plain ReLU that is a batch norm's
// only consumer is applied by the batch norm itself (and skipped), on the CPU and reference
// backends, with the same weights and predictions as the two layers run one after the other;
// and the cases that must not fuse (a ReLU with arguments, another activation, a batch norm
// whose output is read twice).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"

namespace glia {
namespace {

// A BatchNormalization that records whether the model asked it to apply the ReLU.
class SpyBatchNorm : public BatchNormalization {
 public:
  int fused_forwards = 0, forwards = 0;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
               Tensor& output) override {
    ++forwards;
    if (ctx.relu_fused) ++fused_forwards;
    BatchNormalization::forward(ctx, inputs, output);
  }
};

using MakeActivation = std::function<LayerPtr()>;

struct Built {
  std::shared_ptr<Model> model;
  std::shared_ptr<SpyBatchNorm> bn, bn2;  // bn2: the Chain topology's second batch norm
};

enum class Topology {
  Plain,   // Conv2D -> BatchNormalization -> activation -> Flatten -> Dense(3, softmax)
  Branch,  // ... the batch norm's output also added to the activation's (two consumers)
  Chain,   // ... Flatten -> Dense(3) -> BatchNormalization -> activation: the model's output
};

// Input(6, 6, 3) -> Conv2D(filters, 3) -> BatchNormalization -> activation -> the topology's
// rest.
Built make(const MakeActivation& activation, const std::string& backend, int64_t filters = 4,
           Topology topology = Topology::Plain) {
  KerasTensor in = Input({6, 6, 3});
  KerasTensor h = (*std::make_shared<Conv2D>(filters, std::vector<int64_t>{3, 3},
                                             ConvOptions{.use_bias = false}))(in);
  Built built;
  built.bn = std::make_shared<SpyBatchNorm>();
  KerasTensor b = (*built.bn)(h);
  h = (*activation())(b);
  if (topology == Topology::Branch) h = (*std::make_shared<Add>())({h, b});
  h = (*std::make_shared<Flatten>())(h);
  if (topology == Topology::Chain) {
    h = (*std::make_shared<Dense>(3))(h);
    built.bn2 = std::make_shared<SpyBatchNorm>();
    h = (*activation())((*built.bn2)(h));
  } else {
    h = (*std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"}))(h);
  }
  built.model = std::make_shared<Model>(in, h, "fusion");
  built.model->initialize_weights(3);
  if (backend == "reference") built.model->set_backend(std::make_shared<ReferenceBackend>());
  CompileOptions c;
  c.optimizer = std::make_shared<Adam>(OptimizerOptions{0.05});
  c.loss =
      Loss::parse(topology == Topology::Chain ? "mean_squared_error" : "categorical_crossentropy");
  built.model->compile(c);
  return built;
}

struct Data {
  Tensor x{Shape{20, 6, 6, 3}}, y{Shape{20, 3}};
  Data() {
    Rng rng(8);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    for (int64_t i = 0; i < 20; ++i) y.data()[i * 3 + static_cast<int64_t>(rng.below(3))] = 1.0f;
  }
};

// Trains 2 epochs of 3 batches (the last one short) and returns the weights and predictions.
std::pair<std::vector<Tensor>, Tensor> train(Model& m) {
  Data d;
  FitOptions o;
  o.epochs = 2;
  o.batch_size = 8;
  o.verbose = 0;
  o.shuffle = false;
  m.fit(d.x, d.y, o);
  return {m.get_weights(), m.predict(d.x)};
}

// Equal values, NaN where the other has NaN.
void expect_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size());
    for (int64_t k = 0; k < a[i].size(); ++k) {
      if (std::isnan(a[i][k]) && std::isnan(b[i][k])) continue;
      ASSERT_EQ(a[i][k], b[i][k]) << i << " " << k;
    }
  }
}

// A plain ReLU the model may not fuse: the same kernels as the ReLU layer, run apart.
class UnfusedReLU : public ReLU {
 public:
  bool is_plain_relu() const override { return false; }
};

const MakeActivation kReLU = [] { return std::make_shared<ReLU>(); };
const MakeActivation kUnfusedReLU = [] { return std::make_shared<UnfusedReLU>(); };
// max(x, 0) too, computed by the general ReLU (a max_value no value reaches): never fused.
const MakeActivation kCappedReLU = [] { return std::make_shared<ReLU>(1e30f); };

class ReluFusion : public testing::TestWithParam<std::string> {};

// Bit for bit: 4 channels (where the CPU backend declines oneDNN's fused kernel and the layer
// applies the ReLU) and 16 (where oneDNN's fused kernel runs).
TEST_P(ReluFusion, FusedTrainsToTheSameWeightsAsTheTwoLayers) {
  for (int64_t filters : {4, 16}) {
    SCOPED_TRACE(filters);
    Built fused = make(kReLU, GetParam(), filters), apart = make(kUnfusedReLU, GetParam(), filters);
    const auto [wf, pf] = train(*fused.model);
    const auto [wa, pa] = train(*apart.model);
    // Every training and inference forward of the plain ReLU's batch norm was fused, none of
    // the other's.
    EXPECT_GT(fused.bn->forwards, 0);
    EXPECT_EQ(fused.bn->fused_forwards, fused.bn->forwards);
    EXPECT_EQ(apart.bn->fused_forwards, 0);
    expect_identical(wf, wa);
    expect_identical({pf}, {pa});
    for (int64_t i = 0; i < pf.size(); ++i) ASSERT_TRUE(std::isfinite(pf[i]));
  }
}

TEST_P(ReluFusion, OnlyAPlainReluThatIsTheOnlyConsumerFuses) {
  const std::vector<std::pair<MakeActivation, int>> cases = {
      {kReLU, 1},
      {[] { return std::make_shared<Activation>("relu"); }, 1},
      {kCappedReLU, 0},
      {[] { return std::make_shared<ReLU>(6.0f); }, 0},
      {[] { return std::make_shared<ReLU>(std::numeric_limits<float>::infinity(), 0.1f); }, 0},
      {[] { return std::make_shared<LeakyReLU>(); }, 0},
      {[] { return std::make_shared<Activation>("elu"); }, 0}};
  for (size_t i = 0; i < cases.size(); ++i) {
    Built b = make(cases[i].first, GetParam());
    b.model->predict(Data().x);
    EXPECT_EQ(b.bn->fused_forwards, cases[i].second ? b.bn->forwards : 0) << "case " << i;
  }
  // The batch norm's output is also read by the Add: the ReLU must not overwrite it.
  Built branched = make(kReLU, GetParam(), 4, Topology::Branch);
  Built capped = make(kUnfusedReLU, GetParam(), 4, Topology::Branch);
  const auto [wb, pb] = train(*branched.model);
  const auto [wc, pc] = train(*capped.model);
  EXPECT_EQ(branched.bn->fused_forwards, 0);
  expect_identical(wb, wc);
}

// Two fused pairs, the second the model's output.
TEST_P(ReluFusion, AChainEndingInAFusedReluTrainsAsTheLayersApart) {
  for (int64_t filters : {4, 16}) {
    SCOPED_TRACE(filters);
    Built fused = make(kReLU, GetParam(), filters, Topology::Chain);
    Built apart = make(kUnfusedReLU, GetParam(), filters, Topology::Chain);
    const auto [wf, pf] = train(*fused.model);
    const auto [wa, pa] = train(*apart.model);
    EXPECT_EQ(fused.bn2->fused_forwards, fused.bn2->forwards);
    EXPECT_GT(fused.bn2->forwards, 0);
    EXPECT_EQ(apart.bn2->fused_forwards, 0);
    expect_identical(wf, wa);
    expect_identical({pf}, {pa});
  }
}

// A diverged model shows NaN fused as apart: a NaN input gives NaN losses, weights and
// predictions alike (oneDNN's fused ReLU alone would turn the NaN into 0), and predictions on
// a NaN input of a model that trained on finite data have NaN in the same places.
TEST_P(ReluFusion, NaNStaysNaN) {
  for (int64_t filters : {4, 16}) {
    SCOPED_TRACE(filters);
    Data bad;
    bad.x[7] = std::numeric_limits<float>::quiet_NaN();
    Built fused = make(kReLU, GetParam(), filters), apart = make(kUnfusedReLU, GetParam(), filters);
    FitOptions o;
    o.epochs = 1;
    o.batch_size = 8;
    o.verbose = 0;
    o.shuffle = false;
    const History hf = fused.model->fit(bad.x, bad.y, o);
    const History ha = apart.model->fit(bad.x, bad.y, o);
    // The CPU's ReLU keeps NaN (the reference backend's, as formulas::activate, gives 0).
    if (GetParam() == "cpu") {
      EXPECT_TRUE(std::isnan(hf.history.at("loss").back()));
    }
    EXPECT_EQ(std::isnan(hf.history.at("loss").back()), std::isnan(ha.history.at("loss").back()));
    expect_identical(fused.model->get_weights(), apart.model->get_weights());
    Built clean_fused = make(kReLU, GetParam(), filters);
    Built clean_apart = make(kUnfusedReLU, GetParam(), filters);
    train(*clean_fused.model);
    train(*clean_apart.model);
    const Tensor pf = clean_fused.model->predict(bad.x), pa = clean_apart.model->predict(bad.x);
    expect_identical({pf}, {pa});
    if (GetParam() == "cpu") {
      EXPECT_TRUE(std::isnan(pf[0]));  // the first sample has the NaN
    }
  }
}

// The CPU backend runs oneDNN's fused kernel on the CNN example's batch norms (batch 64 and
// the last short batch, 32 and 64 channels) and on the 16-channel model above, and declines it
// on 4 channels, where oneDNN would switch to a slower kernel.
TEST(ReluFusion, CpuFusesTheExampleGeometries) {
  // Which channel counts oneDNN runs with the same kernel depends on the instruction set: on
  // AVX2 and AVX-512 all but 4 (mod 8).
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx2 = static_cast<unsigned>(dnnl::cpu_isa::avx2);
  if ((isa & avx2) != avx2) GTEST_SKIP() << "oneDNN runs below AVX2 here";
  auto be = get_backend("cpu");
  for (NormGeometry g : {NormGeometry{64 * 26 * 26, 32}, NormGeometry{64 * 11 * 11, 64},
                         NormGeometry{32 * 26 * 26, 32}, NormGeometry{8 * 4 * 4, 16}})
    EXPECT_TRUE(be->batch_norm_fuses_relu(g)) << g.rows << " x " << g.channels;
  EXPECT_FALSE(be->batch_norm_fuses_relu(NormGeometry{8 * 4 * 4, 4}));
  EXPECT_TRUE(ReferenceBackend().batch_norm_fuses_relu(NormGeometry{8 * 4 * 4, 4}));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReluFusion, testing::Values("cpu", "reference"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace glia

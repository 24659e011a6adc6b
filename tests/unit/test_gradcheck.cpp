// Finite-difference gradient checks on the reference backend: every activation's backward, every
// loss gradient (including the fused softmax + cross-entropy one), every layer's backward through
// the public Layer API, and a whole functional model's weight gradients through fit().
//
// Objectives are computed in double from float32 kernels; central differences with a step of
// 1e-3 are good to about 1e-4 absolute, so the tolerances are 1e-3 + 1e-2 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "backends/reference_backend.hpp"
#include "glia/layers.hpp"
#include "glia/losses.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "harness.hpp"
#include "layer_gradcheck.hpp"

namespace glia {
namespace {

using test::grad_close;
using test::LayerHarness;
using test::numeric_gradient;
using test::per_sample;
using test::random_floats;
using test::random_inputs;
using test::random_tensor;
using test::weighted_sum;

// Every activation name (ActivationSpec::names()).
const std::vector<std::string> kActivations = ActivationSpec::names();

// ---- activations ----

class ActivationGrad : public testing::TestWithParam<std::string> {};

TEST_P(ActivationGrad, BackwardMatchesFiniteDifferences) {
  const ActivationSpec act = ActivationSpec::parse(GetParam());
  ReferenceBackend be;
  const int64_t rows = 4, cols = 6;
  Rng rng(11);
  auto x = random_floats(rng, rows * cols, -3, 3);
  // Keep clear of the kinks of relu / leaky_relu at 0.
  for (float& v : x)
    if (std::fabs(v) < 0.05f) v += 0.1f;
  const auto r = random_floats(rng, rows * cols);
  std::vector<float> y(x.size()), dx(x.size());
  auto objective = [&] {
    be.bias_activation(x.data(), nullptr, y.data(), rows, cols, act);
    return weighted_sum(y.data(), r.data(), rows * cols);
  };
  objective();
  be.activation_backward(x.data(), y.data(), r.data(), dx.data(), rows, cols, act);
  EXPECT_TRUE(grad_close(dx.data(), numeric_gradient(objective, x.data(), rows * cols)));
}

TEST_P(ActivationGrad, BiasGradientIsTheColumnSum) {
  // bias_activation(x, b) = act(x + b): d/db = Σ over rows of d/dx.
  const ActivationSpec act = ActivationSpec::parse(GetParam());
  ReferenceBackend be;
  const int64_t rows = 3, cols = 5;
  Rng rng(12);
  auto x = random_floats(rng, rows * cols, -2, 2);
  auto bias = random_floats(rng, cols, -0.5, 0.5);
  const auto r = random_floats(rng, rows * cols);
  std::vector<float> y(x.size()), z(x.size()), dz(x.size()), db(cols);
  auto objective = [&] {
    be.bias_activation(x.data(), bias.data(), y.data(), rows, cols, act);
    return weighted_sum(y.data(), r.data(), rows * cols);
  };
  objective();
  be.bias_activation(x.data(), bias.data(), z.data(), rows, cols, ActivationSpec{});
  for (float& v : z)
    if (std::fabs(v) < 0.05f) GTEST_SKIP() << "input too close to a kink";
  be.activation_backward(z.data(), y.data(), r.data(), dz.data(), rows, cols, act);
  be.column_sum(dz.data(), db.data(), rows, cols, 0.0f);
  EXPECT_TRUE(grad_close(db.data(), numeric_gradient(objective, bias.data(), cols)));
}

INSTANTIATE_TEST_SUITE_P(All, ActivationGrad, testing::ValuesIn(kActivations));

TEST(ActivationGrad, LeakyReluCustomSlope) {
  ActivationSpec act = ActivationSpec::parse("leaky_relu");
  act.negative_slope = 0.01f;
  ReferenceBackend be;
  std::vector<float> x = {-2.0f, -0.5f, 0.5f, 2.0f}, y(4), dx(4);
  const std::vector<float> r = {1, 1, 1, 1};
  be.bias_activation(x.data(), nullptr, y.data(), 1, 4, act);
  EXPECT_FLOAT_EQ(y[0], -0.02f);
  EXPECT_FLOAT_EQ(y[3], 2.0f);
  be.activation_backward(x.data(), y.data(), r.data(), dx.data(), 1, 4, act);
  EXPECT_EQ(dx, (std::vector<float>{0.01f, 0.01f, 1.0f, 1.0f}));
}

// ---- losses ----

struct LossCase {
  LossKind kind;
  bool from_logits;
  float smoothing;
  int64_t cols;
};

std::string loss_case_name(const testing::TestParamInfo<LossCase>& info) {
  const LossCase& c = info.param;
  Loss l;
  l.kind = c.kind;
  return l.name() + (c.from_logits ? "_logits" : "") + (c.smoothing > 0 ? "_smoothed" : "") + "_" +
         std::to_string(c.cols) + "cols";
}

void PrintTo(const LossCase& c, std::ostream* os) {
  Loss l;
  l.kind = c.kind;
  *os << l.name() << " from_logits=" << c.from_logits << " smoothing=" << c.smoothing
      << " cols=" << c.cols;
}

class LossGrad : public testing::TestWithParam<LossCase> {};

TEST_P(LossGrad, GradMatchesFiniteDifferences) {
  const LossCase c = GetParam();
  ReferenceBackend be;
  const int64_t rows = 4, cols = c.cols;
  const bool sparse = c.kind == LossKind::sparse_categorical_crossentropy;
  const bool categorical = sparse || c.kind == LossKind::categorical_crossentropy;
  Rng rng(21 + static_cast<int>(c.kind));
  std::vector<float> t, p = random_floats(rng, rows * cols, -2, 2);
  if (sparse) {
    for (int64_t r = 0; r < rows; ++r) t.push_back(static_cast<float>(rng.below(cols)));
  } else if (categorical) {
    t = test::one_hot(rng, rows, cols).to_vector();
  } else if (c.kind == LossKind::binary_crossentropy) {
    for (int64_t i = 0; i < rows * cols; ++i) t.push_back(static_cast<float>(rng.below(2)));
  } else {
    t = random_floats(rng, rows * cols, -2, 2);
  }
  if (categorical && !c.from_logits) {
    // Unnormalised positive scores: Keras divides by the row sum before the log, and the
    // gradient has to account for that.
    be.bias_activation(p.data(), nullptr, p.data(), rows, cols, ActivationSpec::parse("softmax"));
    for (int64_t r = 0; r < rows; ++r) {
      const float f = static_cast<float>(0.5 + 1.5 * rng.uniform());
      for (int64_t k = 0; k < cols; ++k) p[r * cols + k] *= f;
    }
  } else if (c.kind == LossKind::binary_crossentropy && !c.from_logits) {
    for (float& v : p) v = static_cast<float>(0.1 + 0.8 * rng.uniform());
  } else if (c.kind == LossKind::mean_absolute_error) {
    for (int64_t i = 0; i < rows * cols; ++i)
      if (std::fabs(p[i] - t[i]) < 0.05f) p[i] += 0.1f;
  }
  const LossParams lp{c.from_logits, c.smoothing, false};
  auto objective = [&] { return be.loss_sum(c.kind, t.data(), p.data(), rows, cols, lp); };
  std::vector<float> g(p.size());
  be.loss_grad(c.kind, t.data(), p.data(), g.data(), rows, cols, lp, 1.0f);
  EXPECT_TRUE(grad_close(g.data(), numeric_gradient(objective, p.data(), rows * cols)));
  // The scale argument multiplies the gradient.
  std::vector<float> g4(p.size());
  be.loss_grad(c.kind, t.data(), p.data(), g4.data(), rows, cols, lp, 0.25f);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_FLOAT_EQ(g4[i], 0.25f * g[i]);
}

std::vector<LossCase> loss_cases() {
  std::vector<LossCase> cases;
  for (LossKind k : {LossKind::categorical_crossentropy, LossKind::sparse_categorical_crossentropy,
                     LossKind::binary_crossentropy})
    for (bool logits : {false, true})
      for (float s : {0.0f, 0.2f}) cases.push_back({k, logits, s, 5});
  cases.push_back({LossKind::binary_crossentropy, false, 0.0f, 1});
  cases.push_back({LossKind::binary_crossentropy, true, 0.1f, 1});
  cases.push_back({LossKind::mean_squared_error, false, 0.0f, 5});
  cases.push_back({LossKind::mean_squared_error, false, 0.0f, 1});
  cases.push_back({LossKind::mean_absolute_error, false, 0.0f, 5});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(All, LossGrad, testing::ValuesIn(loss_cases()), loss_case_name);

class FusedSoftmaxGrad : public testing::TestWithParam<std::tuple<bool, float>> {};

// The fused gradient (softmax - target, computed from the probabilities) equals d/dlogits of
// CE(softmax(z)) and of CE computed from the logits.
TEST_P(FusedSoftmaxGrad, EqualsGradientWithRespectToLogits) {
  const auto [sparse, smoothing] = GetParam();
  const LossKind kind =
      sparse ? LossKind::sparse_categorical_crossentropy : LossKind::categorical_crossentropy;
  ReferenceBackend be;
  const int64_t rows = 3, cols = 4;
  const ActivationSpec softmax = ActivationSpec::parse("softmax");
  Rng rng(31);
  auto z = random_floats(rng, rows * cols, -2, 2);
  std::vector<float> t;
  if (sparse)
    for (int64_t r = 0; r < rows; ++r) t.push_back(static_cast<float>(rng.below(cols)));
  else
    t = test::one_hot(rng, rows, cols).to_vector();
  std::vector<float> p(z.size()), fused(z.size());
  be.bias_activation(z.data(), nullptr, p.data(), rows, cols, softmax);
  be.loss_grad(kind, t.data(), p.data(), fused.data(), rows, cols, {false, smoothing, true}, 1.0f);

  auto ce_of_softmax = [&] {
    std::vector<float> q(z.size());
    be.bias_activation(z.data(), nullptr, q.data(), rows, cols, softmax);
    return be.loss_sum(kind, t.data(), q.data(), rows, cols, {false, smoothing, false});
  };
  auto ce_of_logits = [&] {
    return be.loss_sum(kind, t.data(), z.data(), rows, cols, {true, smoothing, false});
  };
  EXPECT_TRUE(grad_close(fused.data(), numeric_gradient(ce_of_softmax, z.data(), rows * cols)));
  EXPECT_TRUE(grad_close(fused.data(), numeric_gradient(ce_of_logits, z.data(), rows * cols)));
  // The fused loss value is the loss of the probabilities.
  EXPECT_NEAR(be.loss_sum(kind, t.data(), p.data(), rows, cols, {false, smoothing, true}),
              ce_of_logits(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(All, FusedSoftmaxGrad,
                         testing::Combine(testing::Bool(), testing::Values(0.0f, 0.1f)));

// Keras clips the probabilities to [1e-7, 1 - 1e-7] before the log: a saturated softmax row
// (the target class above 1 - 1e-7, the others below 1e-7) passes no gradient at all, and the
// fused gradient must agree (the plain softmax - target would not). Before the fix Glia kept
// training such rows where Keras stops (seen with NonNeg kernels against real Keras).
TEST(FusedSoftmaxGrad, SaturatedRowsPassNoGradientAsInKeras) {
  ReferenceBackend be;
  const ActivationSpec softmax = ActivationSpec::parse("softmax");
  const std::vector<float> z = {30.0f, 0.0f,  -1.0f,   // saturated, target class 0
                                0.5f,  -0.5f, 0.25f};  // ordinary row, target class 2
  const std::vector<float> t = {1, 0, 0, 0, 0, 1};
  std::vector<float> p(6), fused(6), plain(6);
  be.bias_activation(z.data(), nullptr, p.data(), 2, 3, softmax);
  ASSERT_GT(p[0], 1.0f - 1e-7f);
  be.loss_grad(LossKind::categorical_crossentropy, t.data(), p.data(), fused.data(), 2, 3,
               {false, 0.0f, true}, 1.0f);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(fused[c], 0.0f) << c;
  for (int c = 3; c < 6; ++c) EXPECT_NEAR(fused[c], p[c] - t[c], 1e-7) << c;
  // The same as the unfused gradient chained through the softmax Jacobian.
  be.loss_grad(LossKind::categorical_crossentropy, t.data(), p.data(), plain.data(), 2, 3,
               {false, 0.0f, false}, 1.0f);
  be.activation_backward(nullptr, p.data(), plain.data(), plain.data(), 2, 3, softmax);
  for (int c = 0; c < 6; ++c) EXPECT_NEAR(fused[c], plain[c], 1e-6) << c;
}

// ---- layers, through the public Layer API ----

class DenseGrad : public testing::TestWithParam<std::string> {};

TEST_P(DenseGrad, BackwardMatchesFiniteDifferences) {
  auto dense = std::make_shared<Dense>(4, DenseOptions{.activation = GetParam()});
  LayerHarness h{*dense, random_inputs({{3, 5}}, 51)};
  Rng rng(52);
  dense->ensure_built(per_sample(h.inputs), rng);
  dense->bias().value.copy_from(random_tensor(rng, {4}, -0.5, 0.5));
  h.check();
}

INSTANTIATE_TEST_SUITE_P(All, DenseGrad, testing::ValuesIn(kActivations));

TEST(DenseGrad, WithoutBiasAndOnRank3Inputs) {
  auto dense = std::make_shared<Dense>(3, DenseOptions{.activation = "tanh", .use_bias = false});
  LayerHarness h{*dense, random_inputs({{2, 3, 4}}, 53)};  // (batch, 3, 4): rows = 6
  Rng rng(54);
  EXPECT_EQ(dense->ensure_built(per_sample(h.inputs), rng), (Shape{3, 3}));
  EXPECT_EQ(dense->variables().size(), 1u);
  h.check();
}

struct RegCase {
  float l1, l2;
};
void PrintTo(const RegCase& c, std::ostream* os) {
  *os << "l1=" << c.l1 << " l2=" << c.l2;
}

class DenseRegularizerGrad : public testing::TestWithParam<RegCase> {};

// The l1/l2 term that backward adds to the kernel gradient is the gradient of
// regularization_loss().
TEST_P(DenseRegularizerGrad, BackwardIncludesThePenaltyGradient) {
  const Regularizer reg{GetParam().l1, GetParam().l2};
  auto dense =
      std::make_shared<Dense>(4, DenseOptions{.activation = "sigmoid", .kernel_regularizer = reg});
  LayerHarness h{*dense, random_inputs({{3, 5}}, 55)};
  h.regularization = true;
  Rng rng(56);
  dense->ensure_built(per_sample(h.inputs), rng);
  // Keep the weights away from the l1 kink at 0.
  Tensor& w = dense->kernel().value;
  for (int64_t i = 0; i < w.size(); ++i) w[i] = std::copysign(0.05f + std::fabs(w[i]), w[i]);
  double l1 = 0, l2 = 0;
  for (int64_t i = 0; i < w.size(); ++i) l1 += std::fabs(w[i]), l2 += double(w[i]) * w[i];
  EXPECT_NEAR(dense->regularization_loss(h.be), reg.l1 * l1 + reg.l2 * l2, 1e-5);
  h.check();
}

INSTANTIATE_TEST_SUITE_P(All, DenseRegularizerGrad,
                         testing::Values(RegCase{0.01f, 0.0f}, RegCase{0.0f, 0.02f},
                                         RegCase{0.01f, 0.02f}, RegCase{0.3f, 0.5f}));

class ActivationLayerGrad : public testing::TestWithParam<std::string> {};

TEST_P(ActivationLayerGrad, BackwardMatchesFiniteDifferences) {
  auto layer = std::make_shared<Activation>(GetParam());
  LayerHarness h{*layer, random_inputs({{3, 6}}, 61)};
  for (int64_t i = 0; i < h.inputs[0].size(); ++i)
    if (std::fabs(h.inputs[0][i]) < 0.05f) h.inputs[0][i] += 0.1f;
  Rng rng(62);
  layer->ensure_built(per_sample(h.inputs), rng);
  h.check();
}

INSTANTIATE_TEST_SUITE_P(All, ActivationLayerGrad, testing::ValuesIn(kActivations));

TEST(LayerGrad, DropoutWithAFixedMask) {
  auto layer = std::make_shared<Dropout>(0.4f, 1234);
  LayerHarness h{*layer, random_inputs({{5, 8}}, 71)};
  h.seed = 99;  // the step seed: the mask is a function of (layer seed, step seed)
  Rng rng(72);
  layer->ensure_built(per_sample(h.inputs), rng);
  Tensor out = h.forward();
  int64_t zeros = 0;
  for (int64_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0.0f)
      ++zeros;
    else
      EXPECT_FLOAT_EQ(out[i], h.inputs[0][i] / 0.6f);
  }
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, out.size());
  h.check();
  // Inference is the identity, and so is its gradient.
  ForwardContext infer{h.be, false, 99};
  auto ins = h.input_ptrs();
  layer->forward(infer, ins, out);
  EXPECT_EQ(out.to_vector(), h.inputs[0].to_vector());
  Tensor dout = Tensor::full(out.shape(), 2.0f), dx;
  std::vector<Tensor*> dins = {&dx};
  BackwardContext bctx{h.be};
  layer->backward(bctx, ins, out, dout, dins);
  EXPECT_EQ(dx.to_vector(), std::vector<float>(out.size(), 2.0f));
}

TEST(LayerGrad, Flatten) {
  auto layer = std::make_shared<Flatten>();
  LayerHarness h{*layer, random_inputs({{3, 2, 5}}, 81)};
  Rng rng(82);
  EXPECT_EQ(layer->ensure_built(per_sample(h.inputs), rng), (Shape{10}));
  EXPECT_EQ(h.forward().shape(), (Shape{3, 10}));
  h.check();
}

TEST(LayerGrad, AddTwoAndThreeInputs) {
  for (size_t n : {2u, 3u}) {
    SCOPED_TRACE(std::to_string(n) + " inputs");
    auto layer = std::make_shared<Add>();
    LayerHarness h{*layer, random_inputs(std::vector<Shape>(n, Shape{3, 4}), 91 + n)};
    Rng rng(92);
    layer->ensure_built(per_sample(h.inputs), rng);
    h.check();
  }
}

TEST(LayerGrad, ConcatenateTwoAndThreeInputs) {
  for (const auto& shapes : std::vector<std::vector<Shape>>{
           {{3, 2}, {3, 5}}, {{2, 3}, {2, 1}, {2, 4}}, {{2, 2, 3}, {2, 2, 2}}}) {
    auto layer = std::make_shared<Concatenate>();
    LayerHarness h{*layer, random_inputs(shapes, 101)};
    Rng rng(102);
    layer->ensure_built(per_sample(h.inputs), rng);
    h.check();
  }
}

TEST(LayerGrad, ActivationLayersWithArguments) {
  std::vector<LayerPtr> layers = {std::make_shared<ELU>(0.5f), std::make_shared<LeakyReLU>(0.1f),
                                  std::make_shared<ReLU>(1.0f, 0.1f, 0.3f),
                                  std::make_shared<ReLU>(6.0f), std::make_shared<Softmax>()};
  for (auto& layer : layers) {
    SCOPED_TRACE(layer->class_name());
    LayerHarness h{*layer, random_inputs({{3, 6}}, 111)};
    // Keep clear of the kinks (0, the threshold 0.3 and max_value 1).
    for (int64_t i = 0; i < h.inputs[0].size(); ++i) {
      float& v = h.inputs[0][i];
      for (float kink : {0.0f, 0.3f, 1.0f})
        if (std::fabs(v - kink) < 0.05f) v += 0.1f;
    }
    Rng rng(112);
    layer->ensure_built(per_sample(h.inputs), rng);
    h.check();
  }
}

TEST(LayerGrad, PReLUWithAndWithoutSharedAxes) {
  struct Case {
    std::vector<int> shared;
    Shape batch_shape, alpha_shape;
  };
  for (const Case& c : {Case{{}, {3, 5}, {5}}, Case{{1}, {2, 3, 4}, {1, 4}},
                        Case{{2}, {2, 3, 4}, {3, 1}}, Case{{1, 2}, {2, 3, 4}, {1, 1}}}) {
    SCOPED_TRACE(shape_str(c.batch_shape) + " shared " + std::to_string(c.shared.size()));
    PReLUOptions o;
    o.alpha_regularizer = {0.01f, 0.02f};
    o.shared_axes = c.shared;
    auto layer = std::make_shared<PReLU>(o);
    LayerHarness h{*layer, random_inputs({c.batch_shape}, 113)};
    h.regularization = true;
    for (int64_t i = 0; i < h.inputs[0].size(); ++i)
      if (std::fabs(h.inputs[0][i]) < 0.05f) h.inputs[0][i] += 0.1f;
    Rng rng(114);
    EXPECT_EQ(layer->ensure_built(per_sample(h.inputs), rng),
              Shape(c.batch_shape.begin() + 1, c.batch_shape.end()));
    EXPECT_EQ(layer->alpha().value.shape(), c.alpha_shape);
    Tensor& alpha = layer->alpha().value;
    for (int64_t i = 0; i < alpha.size(); ++i) alpha[i] = 0.1f + 0.2f * static_cast<float>(i);
    h.check();
    // The forward is relu(x) - alpha relu(-x) with alpha broadcast over the shared axes.
    Tensor out = h.forward();
    const int64_t per = out.size() / c.batch_shape[0];
    for (int64_t i = 0; i < out.size(); ++i) {
      const float x = h.inputs[0][i];
      int64_t f = i % per, a = 0, stride = 1;  // alpha index of feature f
      std::vector<int64_t> idx(c.batch_shape.size() - 1);
      for (size_t d = idx.size(); d-- > 0;) {
        idx[d] = f % c.batch_shape[d + 1];
        f /= c.batch_shape[d + 1];
      }
      for (size_t d = idx.size(); d-- > 0;) {
        a += (c.alpha_shape[d] == 1 ? 0 : idx[d]) * stride;
        stride *= c.alpha_shape[d];
      }
      EXPECT_FLOAT_EQ(out[i], x > 0 ? x : alpha[a] * x) << i;
    }
  }
}

// The bias and activity penalties are part of the objective: their gradients flow into the
// bias and (through the activation) into the kernel and the input. Keras 3 divides the
// activity penalty by the batch size.
TEST(DenseGrad, BiasAndActivityRegularizers) {
  for (const char* act : {"sigmoid", "softmax", "linear"}) {
    SCOPED_TRACE(act);
    DenseOptions o;
    o.activation = act;
    o.bias_regularizer = {0.03f, 0.05f};
    o.activity_regularizer = {0.02f, 0.04f};
    auto dense = std::make_shared<Dense>(4, o);
    EXPECT_TRUE(dense->has_regularization());
    EXPECT_FALSE(dense->ends_with_softmax());  // the activity gradient must pass the softmax
    LayerHarness h{*dense, random_inputs({{3, 5}}, 57)};
    h.regularization = true;
    Rng rng(58);
    dense->ensure_built(per_sample(h.inputs), rng);
    Tensor& b = dense->bias().value;
    for (int64_t i = 0; i < b.size(); ++i) b[i] = 0.2f + 0.1f * static_cast<float>(i);
    Tensor out = h.forward();
    double l1 = 0, l2 = 0, b1 = 0, b2 = 0;
    for (int64_t i = 0; i < out.size(); ++i) l1 += std::fabs(out[i]), l2 += double(out[i]) * out[i];
    for (int64_t i = 0; i < b.size(); ++i) b1 += std::fabs(b[i]), b2 += double(b[i]) * b[i];
    EXPECT_NEAR(dense->regularization_loss(h.be),
                0.03 * b1 + 0.05 * b2 + (0.02 * l1 + 0.04 * l2) / 3.0, 1e-5);
    if (std::string(act) == "linear") {
      // Keep the outputs away from the l1 kink at 0.
      for (int64_t i = 0; i < out.size(); ++i)
        if (std::fabs(out[i]) < 0.05f) GTEST_SKIP() << "output too close to the l1 kink";
    }
    h.check();
  }
}

// ---- a whole functional model through Model::fit / Model::evaluate ----

struct ModelCase {
  std::string name;
  std::string head;                    // output Dense activation
  bool activation_layer_head = false;  // Dense(linear) then Activation(head)
  std::string loss;
  bool from_logits = false;
  float smoothing = 0.0f;
};

void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << c.name;
}

template <class L, class... Args>
KerasTensor call(const std::vector<KerasTensor>& inputs, Args&&... args) {
  auto layer = std::make_shared<L>(std::forward<Args>(args)...);
  return inputs.size() == 1 ? (*layer)(inputs[0]) : (*layer)(inputs);
}

// Input(6) -> Dense(8, tanh) -> {Dense(5, gelu), Dense(5, sigmoid, l1l2)} -> Add -> Concatenate
// with the gelu branch (two consumers: gradients must accumulate) -> Dense(3, head).
std::unique_ptr<Model> branchy_model(const ModelCase& c) {
  KerasTensor in = Input({6});
  KerasTensor h = call<Dense>({in}, 8, DenseOptions{.activation = "tanh"});
  KerasTensor a = call<Dense>({h}, 5, DenseOptions{.activation = "gelu"});
  KerasTensor b = call<Dense>(
      {h}, 5, DenseOptions{.activation = "sigmoid", .kernel_regularizer = {0.01f, 0.02f}});
  KerasTensor s = call<Add>({a, b});
  KerasTensor cat = call<Concatenate>({s, a});
  KerasTensor out;
  if (c.activation_layer_head) {
    out = call<Activation>({call<Dense>({cat}, 3)}, c.head);
  } else {
    out = call<Dense>({cat}, 3, DenseOptions{.activation = c.head});
  }
  return std::make_unique<Model>(in, out, "branchy");
}

class ModelGrad : public testing::TestWithParam<ModelCase> {};

TEST_P(ModelGrad, SgdStepMatchesFiniteDifferencesOfEvaluate) {
  const ModelCase c = GetParam();
  auto model = branchy_model(c);
  model->set_backend(get_backend("reference"));
  model->initialize_weights(5);
  const float lr = 0.5f;
  Loss loss = Loss::parse(c.loss);
  loss.params.from_logits = c.from_logits;
  loss.params.label_smoothing = c.smoothing;
  model->compile({std::make_shared<SGD>(OptimizerOptions{lr}), loss, {}});

  const int64_t n = 12;
  Rng rng(6);
  Tensor x = random_tensor(rng, {n, 6}, -2, 2), y;
  if (c.loss == "sparse_categorical_crossentropy") {
    y = Tensor({n, 1});
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(rng.below(3));
  } else if (c.loss == "binary_crossentropy") {
    y = Tensor({n, 3});
    for (int64_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(rng.below(2));
  } else if (c.loss == "mean_squared_error") {
    y = random_tensor(rng, {n, 3});
  } else {
    y = test::one_hot(rng, n, 3);
  }

  const std::vector<Tensor> before = model->get_weights();
  model->fit(x, y, {.batch_size = n, .epochs = 1, .verbose = 0, .shuffle = false});
  const std::vector<Tensor> after = model->get_weights();
  auto vars = model->variables();
  ASSERT_EQ(vars.size(), before.size());

  model->set_weights(before);
  std::vector<Tensor> probe = model->get_weights();
  auto evaluate_loss = [&] {
    model->set_weights(probe);
    return model->evaluate(x, y, {.batch_size = n}).at("loss");
  };
  for (size_t i = 0; i < before.size(); ++i) {
    SCOPED_TRACE(vars[i]->name);
    std::vector<float> step(before[i].size());
    for (int64_t j = 0; j < before[i].size(); ++j) step[j] = (before[i][j] - after[i][j]) / lr;
    // The step is lr times the gradient the backward pass left in the variable.
    EXPECT_TRUE(test::all_close(step.data(), vars[i]->grad.data(), before[i].size(), 1e-4, 1e-6));
    EXPECT_TRUE(
        grad_close(step.data(), numeric_gradient(evaluate_loss, probe[i].data(), probe[i].size())));
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, ModelGrad,
    testing::Values(
        ModelCase{"softmax_cce_fused", "softmax", false, "categorical_crossentropy"},
        ModelCase{"softmax_sparse_cce_fused", "softmax", false, "sparse_categorical_crossentropy"},
        ModelCase{"softmax_cce_smoothed", "softmax", false, "categorical_crossentropy", false,
                  0.1f},
        ModelCase{"activation_layer_softmax_cce", "softmax", true, "categorical_crossentropy"},
        ModelCase{"linear_cce_from_logits", "linear", false, "categorical_crossentropy", true},
        ModelCase{"sigmoid_bce", "sigmoid", false, "binary_crossentropy"},
        ModelCase{"linear_bce_from_logits", "linear", false, "binary_crossentropy", true},
        ModelCase{"linear_mse", "linear", false, "mean_squared_error"},
        ModelCase{"leaky_relu_mae", "leaky_relu", false, "mean_absolute_error"}),
    [](const testing::TestParamInfo<ModelCase>& info) { return info.param.name; });

}  // namespace
}  // namespace glia

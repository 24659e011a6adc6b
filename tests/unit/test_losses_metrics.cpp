// Losses and metrics against known values (Keras docstring examples, hand-computed formulas),
// Keras' 1e-7 probability clipping, label smoothing, accuracy resolution and name errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "glia/error.hpp"
#include "glia/losses.hpp"
#include "glia/metrics.hpp"
#include "harness.hpp"

namespace glia {
namespace {

Tensor t2(int64_t rows, int64_t cols, const std::vector<float>& v) {
  return Tensor::from({rows, cols}, v);
}

double loss_value(const std::string& name, const Tensor& y_true, const Tensor& y_pred,
                  bool from_logits = false, float smoothing = 0.0f,
                  const std::string& backend = "reference") {
  Loss l = Loss::parse(name);
  l.params.from_logits = from_logits;
  l.params.label_smoothing = smoothing;
  return l(*get_backend(backend), y_true, y_pred);
}

using test::error_of;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class Losses : public testing::TestWithParam<std::string> {
 protected:
  double loss(const std::string& name, const Tensor& t, const Tensor& p, bool logits = false,
              float smoothing = 0.0f) {
    return loss_value(name, t, p, logits, smoothing, GetParam());
  }
};

TEST_P(Losses, CategoricalCrossentropyKerasExample) {
  // keras.losses.CategoricalCrossentropy docstring: [0.0513, 2.3026] -> mean 1.1769.
  const Tensor t = t2(2, 3, {0, 1, 0, 0, 0, 1});
  const Tensor p = t2(2, 3, {0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f});
  EXPECT_NEAR(loss("categorical_crossentropy", t, p), (-std::log(0.95) - std::log(0.1)) / 2, 1e-6);
  EXPECT_NEAR(loss("categorical_crossentropy", t, p), 1.1769392, 1e-6);
  // Sparse labels give the same value.
  EXPECT_NEAR(loss("sparse_categorical_crossentropy", t2(2, 1, {1, 2}), p), 1.1769392, 1e-6);
}

TEST_P(Losses, CrossentropyClipsProbabilitiesAt1e7) {
  // A zero probability on the true class costs -log(1e-7) = 16.118, not infinity.
  const Tensor t = t2(1, 2, {1, 0}), p = t2(1, 2, {0, 1});
  EXPECT_NEAR(loss("categorical_crossentropy", t, p), -std::log(1e-7), 1e-4);
  EXPECT_NEAR(loss("sparse_categorical_crossentropy", t2(1, 1, {0}), p), 16.118095, 1e-4);
  // Certainty on the true class is clipped to 1 - 1e-7: a tiny positive loss.
  EXPECT_NEAR(loss("categorical_crossentropy", p, p), -std::log1p(-1e-7), 1e-9);
  EXPECT_NEAR(loss("binary_crossentropy", t2(1, 1, {1}), t2(1, 1, {0})), -std::log(1e-7), 1e-4);
  EXPECT_NEAR(loss("binary_crossentropy", t2(1, 1, {0}), t2(1, 1, {1})), -std::log(1e-7), 1e-4);
}

TEST_P(Losses, CrossentropyNormalisesProbabilities) {
  // Keras divides y_pred by its row sum first: scores (1, 3) are probabilities (0.25, 0.75).
  EXPECT_NEAR(loss("categorical_crossentropy", t2(1, 2, {0, 1}), t2(1, 2, {1, 3})), -std::log(0.75),
              1e-7);
}

TEST_P(Losses, CrossentropyFromLogits) {
  const Tensor z = t2(1, 3, {2.0f, 1.0f, 0.1f});
  const double lse = std::log(std::exp(2.0) + std::exp(1.0) + std::exp(0.1));
  EXPECT_NEAR(loss("categorical_crossentropy", t2(1, 3, {1, 0, 0}), z, true), lse - 2.0, 1e-6);
  EXPECT_NEAR(loss("sparse_categorical_crossentropy", t2(1, 1, {2}), z, true), lse - 0.1, 1e-6);
  // Large logits stay finite (log-sum-exp is shifted by the max).
  const double big = loss("categorical_crossentropy", t2(1, 2, {0, 1}), t2(1, 2, {1000, 0}), true);
  EXPECT_NEAR(big, 1000.0, 1e-6);
}

TEST_P(Losses, LabelSmoothing) {
  // Categorical: t * (1 - s) + s / C. One-hot (0, 1, 0), s = 0.3 -> (0.1, 0.8, 0.1).
  const Tensor t = t2(1, 3, {0, 1, 0}), p = t2(1, 3, {0.2f, 0.7f, 0.1f});
  const double want = -(0.1 * std::log(0.2) + 0.8 * std::log(0.7) + 0.1 * std::log(0.1));
  EXPECT_NEAR(loss("categorical_crossentropy", t, p, false, 0.3f), want, 1e-6);
  EXPECT_NEAR(loss("sparse_categorical_crossentropy", t2(1, 1, {1}), p, false, 0.3f), want, 1e-6);
  // Binary: t * (1 - s) + 0.5 * s. t = 1, s = 0.2 -> 0.9.
  const double bce = -(0.9 * std::log(0.8) + 0.1 * std::log(0.2));
  EXPECT_NEAR(loss("binary_crossentropy", t2(1, 1, {1}), t2(1, 1, {0.8f}), false, 0.2f), bce, 1e-6);
}

TEST_P(Losses, BinaryCrossentropyKerasExample) {
  // keras.losses.BinaryCrossentropy docstring: per-sample [0.916, 0.714], mean 0.815.
  const Tensor t = t2(2, 2, {0, 1, 0, 0}), p = t2(2, 2, {0.6f, 0.4f, 0.4f, 0.6f});
  const double s0 = -(std::log(0.4) + std::log(0.4)) / 2, s1 = -(std::log(0.6) + std::log(0.4)) / 2;
  EXPECT_NEAR(loss("binary_crossentropy", t, p), (s0 + s1) / 2, 1e-6);
  EXPECT_NEAR(loss("binary_crossentropy", t, p), 0.8149, 1e-4);
}

TEST_P(Losses, BinaryCrossentropyFromLogitsEqualsSigmoidThenBce) {
  Rng rng(3);
  const Tensor z = test::random_tensor(rng, {4, 3}, -4, 4);
  Tensor t({4, 3}), p({4, 3});
  for (int64_t i = 0; i < z.size(); ++i) {
    t[i] = static_cast<float>(rng.below(2));
    p[i] = static_cast<float>(1.0 / (1.0 + std::exp(-z[i])));
  }
  for (float s : {0.0f, 0.1f})
    EXPECT_NEAR(loss("binary_crossentropy", t, z, true, s),
                loss("binary_crossentropy", t, p, false, s), 1e-5);
  // Stable for large logits: log(1 + exp(-|z|)) form.
  EXPECT_NEAR(loss("binary_crossentropy", t2(1, 1, {0}), t2(1, 1, {100}), true), 100.0, 1e-6);
  EXPECT_NEAR(loss("binary_crossentropy", t2(1, 1, {1}), t2(1, 1, {100}), true), 0.0, 1e-6);
}

TEST_P(Losses, MeanSquaredAndAbsoluteError) {
  // keras.losses.MeanSquaredError / MeanAbsoluteError docstrings: 0.5.
  const Tensor t = t2(2, 2, {0, 1, 0, 0}), p = t2(2, 2, {1, 1, 1, 0});
  EXPECT_DOUBLE_EQ(loss("mean_squared_error", t, p), 0.5);
  EXPECT_DOUBLE_EQ(loss("mse", t, p), 0.5);
  EXPECT_DOUBLE_EQ(loss("mean_absolute_error", t, p), 0.5);
  EXPECT_DOUBLE_EQ(loss("mae", t, p), 0.5);
  // Mean over the last axis, then over the batch.
  const Tensor p2 = t2(2, 2, {2, -1, 0.5f, 0.5f});
  EXPECT_NEAR(loss("mse", t, p2), ((4.0 + 4.0) / 2 + (0.25 + 0.25) / 2) / 2, 1e-7);
  EXPECT_NEAR(loss("mae", t, p2), ((2.0 + 2.0) / 2 + (0.5 + 0.5) / 2) / 2, 1e-7);
}

INSTANTIATE_TEST_SUITE_P(Backends, Losses, testing::Values("reference", "cpu"));

TEST(LossNames, ParseAndName) {
  struct Want {
    const char* in;
    LossKind kind;
    const char* name;
  };
  for (Want w : {Want{"categorical_crossentropy", LossKind::categorical_crossentropy,
                      "categorical_crossentropy"},
                 Want{"sparse_categorical_crossentropy", LossKind::sparse_categorical_crossentropy,
                      "sparse_categorical_crossentropy"},
                 Want{"binary_crossentropy", LossKind::binary_crossentropy, "binary_crossentropy"},
                 Want{"mean_squared_error", LossKind::mean_squared_error, "mean_squared_error"},
                 Want{"mse", LossKind::mean_squared_error, "mean_squared_error"},
                 Want{"mean_absolute_error", LossKind::mean_absolute_error, "mean_absolute_error"},
                 Want{"mae", LossKind::mean_absolute_error, "mean_absolute_error"}}) {
    const Loss l = Loss::parse(w.in);
    EXPECT_EQ(l.kind, w.kind) << w.in;
    EXPECT_EQ(l.name(), w.name);
    EXPECT_FALSE(l.params.from_logits);
    EXPECT_EQ(l.params.label_smoothing, 0.0f);
  }
}

TEST(LossErrors, UnknownNameAndWrongTargetSize) {
  EXPECT_TRUE(contains(error_of([] { Loss::parse("hinge"); }), "unknown loss 'hinge'"));
  Backend& be = *get_backend("reference");
  const Loss cce = Loss::parse("categorical_crossentropy");
  const std::string msg = error_of([&] { cce(be, Tensor({4, 1}), Tensor({4, 3})); });
  EXPECT_TRUE(contains(msg, "categorical_crossentropy: y_true has 4 values, expected 12")) << msg;
  const Loss sparse = Loss::parse("sparse_categorical_crossentropy");
  EXPECT_THROW(sparse(be, Tensor({4, 3}), Tensor({4, 3})), Error);
  const std::string label = error_of([&] { sparse(be, t2(1, 1, {3}), Tensor({1, 3})); });
  EXPECT_TRUE(contains(label, "sparse label 3 is outside [0, 3)")) << label;
  // No rows, no loss.
  EXPECT_EQ(cce(be, Tensor({0, 3}), Tensor({0, 3})), 0.0);
}

// ---- metrics ----

double metric_value(Metric& m, const Tensor& t, const Tensor& p) {
  m.reset();
  m.update(t, p);
  return m.result();
}

// Predictions whose argmax and 0.5-threshold readings disagree, so the resolved kind shows.
const Tensor kProbs = t2(2, 3, {0.6f, 0.3f, 0.1f, 0.2f, 0.45f, 0.35f});

TEST(Accuracy, ResolvesToCategoricalForOneHotTargets) {
  auto m = make_metric("accuracy", {3}, {3});
  EXPECT_EQ(m->name(), "accuracy");
  // argmax: row 0 right (class 0), row 1 wrong (class 1 predicted, 2 true).
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 3, {1, 0, 0, 0, 0, 1}), kProbs), 0.5);
}

TEST(Accuracy, ResolvesToSparseForClassIndices) {
  auto m = make_metric("accuracy", {1}, {3});
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 1, {0, 1}), kProbs), 1.0);
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 1, {2, 1}), kProbs), 0.5);
  // "acc" resolves the same way and keeps its name.
  auto acc = make_metric("acc", {1}, {3});
  EXPECT_EQ(acc->name(), "acc");
  EXPECT_DOUBLE_EQ(metric_value(*acc, t2(2, 1, {2, 1}), kProbs), 0.5);
}

TEST(Accuracy, ResolvesToBinaryForOneOutputColumn) {
  // Keras 3 decides by shape alone: one output column is binary whatever the loss.
  auto m = make_metric("accuracy", {1}, {1});
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(4, 1, {1, 0, 1, 0}), t2(4, 1, {0.7f, 0.2f, 0.4f, 0.6f})),
                   0.5);
}

TEST(Accuracy, ResolvesByShapesAsKerasGetMetric) {
  // keras.src.trainers.compile_utils.get_metric: binary when the output's last dimension is 1,
  // sparse when the targets' rank is lower or their last dimension 1 (and the output's not),
  // else categorical -- the loss plays no part (a 10-unit sigmoid under binary_crossentropy is
  // categorical accuracy).
  const Tensor onehot = t2(2, 3, {1, 0, 0, 0, 0, 1});
  // kProbs: argmax right for row 0 only; thresholded at 0.5, 5 of 6 elements agree.
  EXPECT_DOUBLE_EQ(metric_value(*make_metric("accuracy", {3}, {3}), onehot, kProbs), 0.5);
  EXPECT_DOUBLE_EQ(metric_value(*make_metric("Accuracy", {3}, {3}), onehot, kProbs), 0.5);
  EXPECT_DOUBLE_EQ(metric_value(*make_metric("ACC", {1}, {3}), t2(2, 1, {0, 2}), kProbs), 0.5);
  EXPECT_DOUBLE_EQ(metric_value(*make_metric("acc", {}, {3}), t2(2, 1, {0, 2}), kProbs), 0.5);
  EXPECT_DOUBLE_EQ(
      metric_value(*make_metric("accuracy", {1}, {1}), t2(2, 1, {1, 0}), t2(2, 1, {0.6f, 0.7f})),
      0.5);
}

TEST(Accuracy, KerasAccuracyClassComparesValues) {
  // keras.metrics.Accuracy(): y_true == y_pred element by element, not argmax.
  auto m = make_metric(MetricSpec::object(MetricKind::accuracy), {3}, {3});
  EXPECT_EQ(m->name(), "accuracy");
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 3, {1, 0, 0, 0, 0, 1}), kProbs), 0.0);
  EXPECT_DOUBLE_EQ(
      metric_value(*m, t2(2, 3, {1, 0, 0, 0, 2, 0}), t2(2, 3, {1, 0, 0.5f, 0, 2, 0.5f})),
      4.0 / 6.0);
}

TEST(Accuracy, BinaryAccuracyThresholdArgument) {
  MetricSpec spec = MetricSpec::object(MetricKind::binary_accuracy, "ba");
  spec.threshold = 0.1;
  auto m = make_metric(spec, {2}, {2});
  EXPECT_EQ(m->name(), "ba");
  // 0.2 > 0.1 counts as 1 now; 0.05 as 0.
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 2, {1, 0, 0, 1}), t2(2, 2, {0.2f, 0.05f, 0.15f, 0.9f})),
                   0.75);
}

TEST(Metrics, TopKArgument) {
  MetricSpec spec = MetricSpec::object(MetricKind::top_k_categorical_accuracy);
  spec.k = 3;
  auto top3 = make_metric(spec, {7}, {7});
  const Tensor p = t2(1, 7, {0.30f, 0.20f, 0.15f, 0.12f, 0.10f, 0.08f, 0.05f});
  Tensor third({1, 7}), fourth({1, 7});
  third[2] = 1;
  fourth[3] = 1;
  EXPECT_EQ(metric_value(*top3, third, p), 1.0);
  EXPECT_EQ(metric_value(*top3, fourth, p), 0.0);  // k = 5 would count it
  spec.kind = MetricKind::sparse_top_k_categorical_accuracy;
  EXPECT_EQ(metric_value(*make_metric(spec, {1}, {7}), t2(1, 1, {3}), p), 0.0);
}

TEST(Metrics, IdentifiersResolveAsKeras) {
  // Every class Glia computes, by class name and by snake-case name (keras.metrics.get), and
  // its function (all but Accuracy, whose function keras.metrics does not export).
  for (const MetricClass& c : metric_classes()) {
    EXPECT_EQ(MetricSpec(c.class_name).name, c.class_name);
    if (c.kind != MetricKind::accuracy) {
      EXPECT_EQ(MetricSpec(c.class_name).kind, c.kind) << c.class_name;
      EXPECT_EQ(MetricSpec(c.default_name).kind, c.kind) << c.default_name;
      EXPECT_EQ(MetricSpec::function(c.default_name).kind, c.kind) << c.default_name;
    } else {
      EXPECT_THROW(MetricSpec::function(c.default_name), Error);
    }
    EXPECT_EQ(MetricSpec::object(c.kind).name, c.default_name);
  }
  EXPECT_EQ(MetricSpec("MSE").kind, MetricKind::mean_squared_error);
  EXPECT_EQ(MetricSpec("mae").kind, MetricKind::mean_absolute_error);
  EXPECT_THROW(MetricSpec::function("categorical_crossentropy"), Error);
}

TEST(Accuracy, BinaryThresholdIsStrictlyAboveHalf) {
  auto m = make_metric("binary_accuracy", {2}, {2});
  // 0.5 counts as 0; element-wise mean per row: row 0 (1 of 2), row 1 (2 of 2).
  EXPECT_DOUBLE_EQ(metric_value(*m, t2(2, 2, {1, 0, 0, 1}), t2(2, 2, {0.5f, 0.1f, 0.2f, 0.9f})),
                   0.75);
}

TEST(Accuracy, ExplicitNames) {
  auto cat = make_metric("categorical_accuracy", {3}, {3});
  EXPECT_EQ(cat->name(), "categorical_accuracy");
  EXPECT_DOUBLE_EQ(metric_value(*cat, t2(2, 3, {1, 0, 0, 0, 0, 1}), kProbs), 0.5);
  auto sparse = make_metric("sparse_categorical_accuracy", {1}, {3});
  EXPECT_DOUBLE_EQ(metric_value(*sparse, t2(2, 1, {0, 1}), kProbs), 1.0);
}

TEST(Metrics, RunningMeanIsWeightedByBatchSize) {
  auto m = make_metric("accuracy", {1}, {3});
  m->update(t2(2, 1, {0, 1}), kProbs);                       // 2 of 2
  m->update(t2(1, 1, {2}), t2(1, 3, {0.9f, 0.05f, 0.05f}));  // 0 of 1
  m->update(t2(1, 1, {0}), t2(1, 3, {0.9f, 0.05f, 0.05f}));  // 1 of 1
  EXPECT_DOUBLE_EQ(m->result(), 3.0 / 4.0);
  m->reset();
  EXPECT_EQ(m->result(), 0.0);
  m->update(Tensor({0, 1}), Tensor({0, 3}));  // an empty batch changes nothing
  EXPECT_EQ(m->result(), 0.0);
}

TEST(Metrics, TopKCategoricalAccuracy) {
  auto top5 = make_metric("top_k_categorical_accuracy", {7}, {7});
  EXPECT_EQ(top5->name(), "top_k_categorical_accuracy");
  const Tensor p = t2(1, 7, {0.30f, 0.20f, 0.15f, 0.12f, 0.10f, 0.08f, 0.05f});
  auto onehot = [](int c) {
    Tensor t({1, 7});
    t[c] = 1;
    return t;
  };
  EXPECT_EQ(metric_value(*top5, onehot(0), p), 1.0);
  EXPECT_EQ(metric_value(*top5, onehot(4), p), 1.0);  // 5th best
  EXPECT_EQ(metric_value(*top5, onehot(5), p), 0.0);  // 6th
  EXPECT_EQ(metric_value(*top5, onehot(6), p), 0.0);
  // Ties at the boundary count as in the top k (tf.math.in_top_k).
  const Tensor tied = t2(1, 7, {0.3f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f});
  EXPECT_EQ(metric_value(*top5, onehot(6), tied), 1.0);

  auto sparse = make_metric("sparse_top_k_categorical_accuracy", {1}, {7});
  EXPECT_DOUBLE_EQ(metric_value(*sparse, t2(2, 1, {4, 5}),
                                t2(2, 7,
                                   {0.30f, 0.20f, 0.15f, 0.12f, 0.10f, 0.08f, 0.05f, 0.30f, 0.20f,
                                    0.15f, 0.12f, 0.10f, 0.08f, 0.05f})),
                   0.5);
}

TEST(Metrics, MseAndMae) {
  const Tensor t = t2(2, 2, {0, 1, 0, 0}), p = t2(2, 2, {2, -1, 0.5f, 0.5f});
  for (const char* name : {"mse", "mean_squared_error"}) {
    auto m = make_metric(name, {2}, {2});
    EXPECT_EQ(m->name(), name);
    EXPECT_NEAR(metric_value(*m, t, p), (4.0 + 0.25) / 2, 1e-7);
  }
  for (const char* name : {"mae", "mean_absolute_error"}) {
    auto m = make_metric(name, {2}, {2});
    EXPECT_NEAR(metric_value(*m, t, p), (2.0 + 0.5) / 2, 1e-7);
  }
}

TEST(MetricErrors, UnknownNameAndWrongTargets) {
  const std::string unknown = error_of([] { make_metric("f1_score", {3}, {3}); });
  EXPECT_TRUE(contains(unknown, "unknown metric 'f1_score'")) << unknown;
  const std::string sparse = error_of([] { make_metric("sparse_categorical_accuracy", {3}, {3}); });
  EXPECT_TRUE(contains(sparse, "needs class-index targets")) << sparse;
  const std::string onehot = error_of([] { make_metric("categorical_accuracy", {1}, {3}); });
  EXPECT_TRUE(contains(onehot, "use sparse_categorical_accuracy")) << onehot;
  EXPECT_THROW(make_metric("top_k_categorical_accuracy", {1}, {3}), Error);
  EXPECT_THROW(make_metric("sparse_top_k_categorical_accuracy", {3}, {3}), Error);
}

}  // namespace
}  // namespace glia

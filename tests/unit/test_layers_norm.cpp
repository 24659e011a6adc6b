// BatchNormalization and LayerNormalization (issue 16): shapes, variables (moving statistics as
// non-trainable weights), training vs inference, Keras' moving-average formula, option errors,
// configs both ways, the three file formats with the moving statistics, the summary's
// non-trainable count, and training with the optimizer never touching the moving statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "backends/reference_backend.hpp"
#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "glia/saving.hpp"
#include "harness.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using test::random_tensor;
using testing_util::error_of;

Tensor run(Layer& layer, const Tensor& x, bool training) {
  ReferenceBackend be;
  ForwardContext ctx{be, training};
  Tensor out;
  const Tensor* ins[] = {&x};
  layer.forward(ctx, ins, out);
  return out;
}

TEST(BatchNormalization, VariablesAndShapes) {
  auto bn = std::make_shared<BatchNormalization>(BatchNormOptions{{.name = "bn"}});
  Rng rng(1);
  EXPECT_EQ(bn->ensure_built({{5, 7, 3}}, rng), (Shape{5, 7, 3}));
  ASSERT_EQ(bn->variables().size(), 2u);
  EXPECT_EQ(bn->variables()[0]->name, "bn/gamma");
  EXPECT_EQ(bn->variables()[1]->name, "bn/beta");
  ASSERT_EQ(bn->non_trainable_variables().size(), 2u);
  EXPECT_EQ(bn->non_trainable_variables()[0]->name, "bn/moving_mean");
  EXPECT_EQ(bn->non_trainable_variables()[1]->name, "bn/moving_variance");
  EXPECT_EQ(bn->weights().size(), 4u);
  EXPECT_EQ(bn->count_params(), 12);  // Keras counts the moving statistics
  EXPECT_EQ(bn->gamma().value[2], 1.0f);
  EXPECT_EQ(bn->moving_variance().value[0], 1.0f);
  EXPECT_EQ(bn->moving_mean().value[1], 0.0f);

  BatchNormOptions plain;
  plain.scale = false;
  plain.center = false;
  auto bare = std::make_shared<BatchNormalization>(plain);
  bare->ensure_built({{4}}, rng);
  EXPECT_TRUE(bare->variables().empty());
  EXPECT_EQ(bare->count_params(), 8);
}

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndUpdatesMovingOnesAsKeras) {
  BatchNormOptions o;
  o.momentum = 0.9;
  o.epsilon = 0.01f;
  auto bn = std::make_shared<BatchNormalization>(o);
  Rng rng(2);
  bn->ensure_built({{2, 3}}, rng);
  const Tensor x = random_tensor(rng, {4, 2, 3}, -2, 3);  // 8 rows of 3 channels
  bn->gamma().value.copy_from(Tensor::from({3}, {0.5f, 1.0f, 2.0f}));
  bn->beta().value.copy_from(Tensor::from({3}, {0.1f, -0.2f, 0.3f}));
  const Tensor y = run(*bn, x, true);
  for (int64_t c = 0; c < 3; ++c) {
    double mean = 0, var = 0;
    for (int64_t r = 0; r < 8; ++r) mean += x[r * 3 + c] / 8.0;
    for (int64_t r = 0; r < 8; ++r) var += (x[r * 3 + c] - mean) * (x[r * 3 + c] - mean) / 8.0;
    for (int64_t r = 0; r < 8; ++r)
      EXPECT_NEAR(y[r * 3 + c],
                  bn->gamma().value[c] * (x[r * 3 + c] - mean) / std::sqrt(var + 0.01) +
                      bn->beta().value[c],
                  1e-5);
    // moving = moving · momentum + batch · (1 - momentum), from 0 and 1.
    EXPECT_NEAR(bn->moving_mean().value[c], 0.1 * mean, 1e-6);
    EXPECT_NEAR(bn->moving_variance().value[c], 0.9 + 0.1 * var, 1e-6);
  }
}

TEST(BatchNormalization, InferenceUsesTheMovingStatistics) {
  auto bn = std::make_shared<BatchNormalization>();
  Rng rng(3);
  bn->ensure_built({{2}}, rng);
  bn->moving_mean().value.copy_from(Tensor::from({2}, {1.0f, -1.0f}));
  bn->moving_variance().value.copy_from(Tensor::from({2}, {4.0f, 0.25f}));
  const Tensor x = Tensor::from({2, 2}, {3.0f, 0.0f, -1.0f, -1.5f});
  const Tensor y = run(*bn, x, false);
  EXPECT_NEAR(y[0], 2.0 / std::sqrt(4.001), 1e-6);
  EXPECT_NEAR(y[1], 1.0 / std::sqrt(0.251), 1e-6);
  EXPECT_NEAR(y[2], -2.0 / std::sqrt(4.001), 1e-6);
  EXPECT_NEAR(y[3], -0.5 / std::sqrt(0.251), 1e-6);
  EXPECT_EQ(bn->moving_mean().value[0], 1.0f);  // inference leaves them alone
}

TEST(LayerNormalization, NormalizesEachSampleAlike) {
  auto ln = std::make_shared<LayerNormalization>();
  Rng rng(4);
  EXPECT_EQ(ln->ensure_built({{3, 5}}, rng), (Shape{3, 5}));
  EXPECT_EQ(ln->variables().size(), 2u);
  EXPECT_TRUE(ln->non_trainable_variables().empty());
  const Tensor x = random_tensor(rng, {2, 3, 5}, -3, 3);
  const Tensor a = run(*ln, x, true), b = run(*ln, x, false);
  for (int64_t r = 0; r < 6; ++r) {
    double mean = 0, var = 0;
    for (int64_t c = 0; c < 5; ++c) mean += x[r * 5 + c] / 5.0;
    for (int64_t c = 0; c < 5; ++c) var += (x[r * 5 + c] - mean) * (x[r * 5 + c] - mean) / 5.0;
    for (int64_t c = 0; c < 5; ++c) {
      EXPECT_NEAR(a[r * 5 + c], (x[r * 5 + c] - mean) / std::sqrt(var + 1e-3), 1e-5);
      EXPECT_EQ(a[r * 5 + c], b[r * 5 + c]);
    }
  }
}

TEST(NormLayers, RefuseOtherAxesAndBadOptions) {
  Rng rng(5);
  BatchNormOptions axis1;
  axis1.axis = 1;
  auto bn = std::make_shared<BatchNormalization>(axis1);
  EXPECT_NE(error_of([&] {
              bn->ensure_built({{4, 3}}, rng);
            }).find("axis 1 is not supported"),
            std::string::npos);
  BatchNormOptions last;
  last.axis = 2;  // the last axis of (batch, 4, 3), as tf.keras writes it
  EXPECT_NO_THROW(std::make_shared<BatchNormalization>(last)->ensure_built({{4, 3}}, rng));
  BatchNormOptions momentum;
  momentum.momentum = 1.5;
  EXPECT_NE(error_of([&] { BatchNormalization b(momentum); }).find("momentum"), std::string::npos);
  NormOptions eps;
  eps.epsilon = 0.0f;
  EXPECT_NE(error_of([&] { LayerNormalization l(eps); }).find("epsilon must be positive"),
            std::string::npos);
}

std::shared_ptr<Model> norm_model() {
  KerasTensor in = Input({4, 4, 2});
  BatchNormOptions b;
  b.momentum = 0.8;
  b.epsilon = 0.002f;
  b.gamma_regularizer = {0.0f, 0.01f};
  KerasTensor h = (*std::make_shared<BatchNormalization>(b))(in);
  h = (*std::make_shared<Flatten>())(h);
  h = (*std::make_shared<Dense>(6, DenseOptions{.activation = "relu"}))(h);
  NormOptions l;
  l.center = false;
  h = (*std::make_shared<LayerNormalization>(l))(h);
  h = (*std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"}))(h);
  auto m = std::make_shared<Model>(in, h, "norm_model");
  m->initialize_weights(9);
  CompileOptions c;
  c.optimizer = std::make_shared<Adam>(OptimizerOptions{0.01});
  c.loss = Loss::parse("categorical_crossentropy");
  m->compile(c);
  return m;
}

struct Data {
  Tensor x{Shape{40, 4, 4, 2}}, y{Shape{40, 3}};
  Data() {
    Rng rng(6);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal() * 2 + 1);
    for (int64_t i = 0; i < 40; ++i) y.data()[i * 3 + static_cast<int64_t>(rng.below(3))] = 1.0f;
  }
};

TEST(NormLayers, FitMovesTheStatisticsOutsideTheOptimizer) {
  auto m = norm_model();
  Data d;
  EXPECT_EQ(m->variables().size(), 2u + 2u + 1u + 2u);  // gamma, beta, dense, LN gamma, dense
  EXPECT_EQ(m->non_trainable_variables().size(), 2u);
  EXPECT_EQ(m->count_params(), 8 + 32 * 6 + 6 + 6 + 6 * 3 + 3);
  EXPECT_EQ(m->count_non_trainable_params(), 4);
  const std::string summary = m->summary();
  EXPECT_NE(summary.find("Trainable params: 229 "), std::string::npos) << summary;
  EXPECT_NE(summary.find("Non-trainable params: 4 (16.00 B)"), std::string::npos) << summary;
  FitOptions o;
  o.epochs = 2;
  o.batch_size = 8;
  o.verbose = 0;
  m->fit(d.x, d.y, o);
  Variable* mean = m->non_trainable_variables()[0];
  EXPECT_NE(mean->value[0], 0.0f);
  EXPECT_FALSE(mean->grad.defined());
  // Inference is deterministic and uses the moving statistics: two predictions agree, and
  // they change when the moving statistics do.
  const Tensor a = m->predict(d.x), b = m->predict(d.x);
  for (int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]);
  mean->value.fill(5.0f);
  const Tensor c = m->predict(d.x);
  double diff = 0;
  for (int64_t i = 0; i < a.size(); ++i) diff += std::fabs(a[i] - c[i]);
  EXPECT_GT(diff, 1e-3);
}

TEST(NormLayers, EveryFormatKeepsTheMovingStatistics) {
  auto m = norm_model();
  Data d;
  FitOptions o;
  o.epochs = 1;
  o.batch_size = 10;
  o.verbose = 0;
  m->fit(d.x, d.y, o);
  const Tensor want = m->predict(d.x);
  const fs::path dir = testing_util::fresh_test_dir("norm_formats");
  fs::create_directories(dir);
  for (const char* file : {"m.keras", "m.h5", "m.json"}) {
    SCOPED_TRACE(file);
    const std::string path = (dir / file).string();
    save_model(*m, path);
    LoadedModel back = load_model(path);
    ASSERT_EQ(back.model->weights().size(), m->weights().size());
    auto w0 = m->weights(), w1 = back.model->weights();
    for (size_t i = 0; i < w0.size(); ++i)
      for (int64_t k = 0; k < w0[i]->value.size(); ++k)
        ASSERT_EQ(w0[i]->value[k], w1[i]->value[k]) << w0[i]->name;
    const Tensor got = back.model->predict(d.x);
    for (int64_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6);
    EXPECT_EQ(back.model->count_non_trainable_params(), 4);
  }
  fs::remove_all(dir);
}

TEST(NormLayers, ConfigsRoundTripAndRefuseWhatGliaLacks) {
  auto m = norm_model();
  for (ConfigStyle style : {ConfigStyle::keras3, ConfigStyle::keras2}) {
    const std::string text = model_to_json(*m, style);
    EXPECT_NE(text.find("\"moving_variance_initializer\""), std::string::npos);
    auto back = model_from_json(text);
    auto* bn = dynamic_cast<BatchNormalization*>(back->layers()[0].get());
    ASSERT_NE(bn, nullptr);
    EXPECT_EQ(bn->options().momentum, 0.8);
    EXPECT_EQ(bn->options().epsilon, 0.002f);
    EXPECT_EQ(bn->options().gamma_regularizer.l2, 0.01f);
    auto* ln = dynamic_cast<LayerNormalization*>(back->layers()[3].get());
    ASSERT_NE(ln, nullptr);
    EXPECT_FALSE(ln->options().center);
    EXPECT_EQ(back->count_params(), m->count_params());
  }
  auto config = [](const std::string& cls, const std::string& extra) {
    return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 5, 3], "name": "in"}},
      {"class_name": ")" +
           cls + R"(", "config": {"name": "n")" + extra + "}}]}}";
  };
  // tf.keras writes the axis as the last axis' index in a list.
  EXPECT_NO_THROW(model_from_json(config("BatchNormalization", R"(, "axis": [2])")));
  EXPECT_NO_THROW(model_from_json(config("LayerNormalization", R"(, "axis": [-1])")));
  EXPECT_NE(error_of([&] {
              model_from_json(config("BatchNormalization", R"(, "renorm": true)"));
            }).find("renorm=true is not supported"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model_from_json(config("LayerNormalization", R"(, "rms_scaling": true)"));
            }).find("rms_scaling=true is not supported"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model_from_json(config("BatchNormalization", R"(, "virtual_batch_size": 4)"));
            }).find("virtual_batch_size"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model_from_json(config("LayerNormalization", R"(, "axis": [1, 2])"));
            }).find("only the last axis"),
            std::string::npos);
  const std::string axis_error =
      error_of([&] { model_from_json(config("BatchNormalization", R"(, "axis": 1)")); });
  EXPECT_NE(axis_error.find("last axis"), std::string::npos) << axis_error;
}

}  // namespace
}  // namespace glia

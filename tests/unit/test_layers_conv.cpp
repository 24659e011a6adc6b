// Conv2D and Conv1D as layers: output shapes for every padding, the refusals (one line naming
// the option), Keras configs both ways (Keras 3 and tf.keras 2 shapes), the three file formats,
// and a small CNN that learns.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "formats/config.hpp"
#include "glia/glia.hpp"
#include "glia/saving.hpp"
#include "harness.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using test::error_of;

ConvOptions opts(std::string padding, std::vector<int64_t> strides = {},
                 std::vector<int64_t> dilation = {}) {
  ConvOptions o;
  o.padding = std::move(padding);
  o.strides = std::move(strides);
  o.dilation_rate = std::move(dilation);
  return o;
}

Shape built(Layer& layer, Shape in) {
  Rng rng(1);
  return layer.ensure_built({std::move(in)}, rng);
}

TEST(ConvLayers, OutputShapesForEachPadding) {
  Conv2D valid(8, {3, 3}, opts("valid"));
  EXPECT_EQ(built(valid, {28, 28, 1}), (Shape{26, 26, 8}));
  EXPECT_EQ(valid.kernel().value.shape(), (Shape{3, 3, 1, 8}));
  EXPECT_EQ(valid.bias().value.shape(), (Shape{8}));
  EXPECT_EQ(valid.count_params(), 3 * 3 * 8 + 8);
  Conv2D same(4, {3, 2}, opts("same", {2, 2}));
  EXPECT_EQ(built(same, {7, 9, 3}), (Shape{4, 5, 4}));  // ceil(7/2), ceil(9/2)
  Conv2D dilated(2, {3, 3}, opts("valid", {}, {2, 2}));
  EXPECT_EQ(built(dilated, {9, 8, 1}), (Shape{5, 4, 2}));  // span 5
  Conv1D causal(3, {4}, opts("causal", {}, {2}));
  EXPECT_EQ(built(causal, {10, 2}), (Shape{10, 3}));
  EXPECT_EQ(causal.kernel().value.shape(), (Shape{4, 2, 3}));
  Conv1D strided(5, {3}, opts("valid", {2}));
  EXPECT_EQ(built(strided, {10, 2}), (Shape{4, 5}));
  ConvOptions no_bias = opts("same");
  no_bias.use_bias = false;
  Conv1D nb(5, {3}, no_bias);
  built(nb, {6, 2});
  EXPECT_EQ(nb.variables().size(), 1u);
  EXPECT_EQ(nb.name().rfind("conv1d", 0), 0u) << nb.name();
}

TEST(ConvLayers, PlannedParametersAreWhatBuildingCreates) {
  Conv2D a(6, {3, 2}, opts("same", {2, 1}));
  Conv1D b(4, {5}, ConvOptions{.use_bias = false});
  for (auto [layer, in] : {std::pair<Layer*, Shape>{&a, {9, 8, 3}}, {&b, {12, 7}}}) {
    const int64_t planned = formats::planned_parameters(*layer, {in});
    built(*layer, in);
    EXPECT_EQ(planned, layer->count_params()) << layer->name();
  }
  EXPECT_EQ(a.count_params(), 3 * 2 * 3 * 6 + 6);
  EXPECT_EQ(b.count_params(), 5 * 7 * 4);
}

TEST(ConvLayers, RefusalsNameTheOption) {
  auto has = [](const std::function<void()>& f, const std::string& word) {
    const std::string e = error_of(f);
    EXPECT_NE(e.find(word), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  has([] { Conv2D(0, {3, 3}); }, "filters");
  has([] { Conv2D(2, {3}); }, "kernel_size");
  has([] { Conv2D(2, {3, 3}, opts("causal")); }, "padding 'causal'");
  has([] { Conv1D(2, {3}, opts("full")); }, "padding 'full'");
  has([] { Conv2D(2, {3, 3}, opts("valid", {2, 2}, {2, 2})); }, "dilation_rate");
  has([] { Conv2D(2, {3, 3}, opts("valid", {0, 1})); }, "strides");
  has([] { Conv2D(2, {3, 3}, opts("valid", {}, {1, 1, 1})); }, "dilation_rate");
  has([] { Conv2D(2, {3, 3}, ConvOptions{.activation = "glu"}); }, "glu");
  has(
      [] {
        Conv2D(2, {3, 3}, ConvOptions{.kernel_constraint = {Constraint::Kind::max_norm}});
      },
      "kernel_constraint");
  Conv2D c(2, {3, 3});
  has([&] { built(c, {28, 28}); }, "(batch, height, width, channels)");
  Conv2D big(2, {5, 5});
  has([&] { built(big, {4, 4, 1}); }, "larger than the padded input");
}

std::shared_ptr<Model> small_cnn() {
  auto m = std::make_shared<Sequential>("cnn");
  m->add(std::make_shared<InputLayer>(Shape{8, 7, 2}, "image"));
  ConvOptions a = opts("same", {2, 1});
  a.activation = "relu";
  a.name = "c1";
  a.kernel_regularizer.l2 = 0.001f;
  m->add(std::make_shared<Conv2D>(4, std::vector<int64_t>{3, 3}, a));
  ConvOptions b = opts("valid", {}, {2, 1});
  b.activation = "tanh";
  b.use_bias = false;
  b.kernel_initializer = InitializerSpec{"he_normal"};
  b.name = "c2";
  m->add(std::make_shared<Conv2D>(3, std::vector<int64_t>{2, 2}, b));
  m->add(std::make_shared<Flatten>("flat"));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  m->initialize_weights(5);
  m->compile({.optimizer = make_optimizer("adam", 0.01),
              .loss = Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

// Three classes told apart by which third of the image is bright.
void bands(int64_t n, Tensor& x, Tensor& y) {
  Rng rng(3);
  x = test::random_tensor(rng, {n, 8, 7, 2}, 0.0, 0.3);
  y = Tensor({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % 3;
    y[i * 3 + k] = 1.0f;
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t c = 0; c < 7; ++c)
        if (c / 3 == k || (k == 2 && c == 6)) x[((i * 8 + r) * 7 + c) * 2] += 1.0f;
  }
}

TEST(ConvLayers, ASmallCnnLearns) {
  auto m = small_cnn();
  Tensor x, y;
  bands(96, x, y);
  const double before = m->evaluate(x, y, {.verbose = 0}).at("loss");
  m->fit(x, y, {.batch_size = 16, .epochs = 15, .verbose = 0, .seed = 2});
  const auto after = m->evaluate(x, y, {.verbose = 0});
  EXPECT_LT(after.at("loss"), before * 0.5);
  EXPECT_GT(after.at("accuracy"), 0.9);
}

// Same seed and threads, same weights (oneDNN's backward-weights reductions are in a fixed order).
TEST(ConvLayers, TrainingIsDeterministic) {
  Tensor x, y;
  bands(48, x, y);
  std::vector<std::vector<float>> runs[2];
  for (auto& weights : runs) {
    auto m = small_cnn();
    m->fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0, .seed = 4});
    for (const Tensor& w : m->get_weights()) weights.push_back(w.to_vector());
  }
  EXPECT_EQ(runs[0], runs[1]);
}

class ConvFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("conv_files");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ConvFiles, EveryFormatRoundTripsConfigsAndWeights) {
  auto m = small_cnn();
  Tensor x, y;
  bands(12, x, y);
  m->fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0, .seed = 2});
  const std::vector<float> want = m->predict(x).to_vector();
  for (const char* file : {"m.keras", "m.h5", "m.json"}) {
    SCOPED_TRACE(file);
    save_model(*m, path(file));
    LoadedModel l = load_model(path(file));
    EXPECT_EQ(l.model->predict(x).to_vector(), want);
    for (ConfigStyle s : {ConfigStyle::keras2, ConfigStyle::keras3})
      EXPECT_EQ(nlohmann::json::parse(model_to_json(*l.model, s))["config"]["layers"],
                nlohmann::json::parse(model_to_json(*m, s))["config"]["layers"]);
  }
}

// A Conv1D config as tf.keras 2 writes it, and as a hand-written Keras 3 one (ints for tuples).
TEST(ConvConfigs, BothKerasShapesLoad) {
  const std::string keras2 = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 12, 3], "dtype": "float32",
     "sparse": false, "ragged": false, "name": "in"}},
    {"class_name": "Conv1D", "config": {"name": "conv1d", "trainable": true, "dtype": "float32",
     "filters": 4, "kernel_size": [3], "strides": [2], "padding": "causal",
     "data_format": "channels_last", "dilation_rate": [1], "groups": 1, "activation": "relu",
     "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config":
     {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}},
     "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
     "kernel_constraint": null, "bias_constraint": null}}]}, "keras_version": "2.15.0",
     "backend": "tensorflow"})";
  auto m = model_from_json(keras2);
  EXPECT_EQ(m->output_shape(), (Shape{6, 4}));
  auto* c = dynamic_cast<Conv1D*>(m->layers().back().get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->options().strides, (std::vector<int64_t>{2}));
  EXPECT_EQ(c->padding(), ConvPadding::causal);
  const std::string keras3 = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [null, 9, 9, 2], "name": "in"}},
    {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3,
     "strides": 2, "padding": "same", "data_format": null, "activation": null}}]}})";
  m = model_from_json(keras3);
  EXPECT_EQ(m->output_shape(), (Shape{5, 5, 2}));
  EXPECT_EQ(m->count_params(), 3 * 3 * 2 * 2 + 2);
}

TEST(ConvConfigs, UnsupportedOptionsAreRefusedInOneLine) {
  auto config = [](const std::string& conv) {
    return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 9, 9, 4], "name": "in"}},
      {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, )" +
           conv + "}}]}}";
  };
  auto refused = [&](const std::string& conv, const std::string& word) {
    const std::string e = error_of([&] { model_from_json(config(conv)); });
    EXPECT_NE(e.find(word), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  refused(R"("kernel_size": [3, 3], "groups": 2)", "groups");
  refused(R"("kernel_size": [3, 3], "data_format": "channels_first")", "channels_first");
  refused(R"("kernel_size": [3, 3], "padding": "causal")", "causal");
  refused(R"("kernel_size": [3, 3], "lora_rank": 4)", "lora_rank");
  refused(R"("kernel_size": [3, 3, 3])", "kernel_size");
  refused(R"("kernel_size": [3, 3], "strides": [0, 1])", "strides");
  refused(R"("kernel_size": [3, 3], "activation": "glu")", "glu");
}

}  // namespace
}  // namespace glia

// The pooling layers: output shapes (valid / same, strides, 1-D, global, keepdims), values
// computed by hand (Keras' "same" padding excluded from averages), option and shape errors,
// configs in both Keras styles (written and read back, refusals naming the option), and a
// model with pools that trains on the CPU backend as on the reference backend.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "glia/saving.hpp"
#include "harness.hpp"

namespace glia {
namespace {

using test::error_of;

Tensor run(Layer& layer, const Tensor& x, bool training = false, const char* backend = "cpu") {
  Rng rng(1);
  layer.ensure_built({Shape(x.shape().begin() + 1, x.shape().end())}, rng);
  ForwardContext ctx{*get_backend(backend), training};
  Tensor out;
  const Tensor* ins[] = {&x};
  layer.forward(ctx, ins, out);
  return out;
}

Shape built(Layer& layer, Shape input) {
  Rng rng(1);
  return layer.ensure_built({std::move(input)}, rng);
}

TEST(PoolingLayers, OutputShapesFollowKeras) {
  EXPECT_EQ(built(*std::make_shared<MaxPooling2D>(), {28, 28, 1}), (Shape{14, 14, 1}));
  EXPECT_EQ(built(*std::make_shared<MaxPooling2D>(), {5, 7, 3}), (Shape{2, 3, 3}));
  EXPECT_EQ(
      built(*std::make_shared<AveragePooling2D>(PoolingOptions{.padding = "same"}), {5, 7, 3}),
      (Shape{3, 4, 3}));
  EXPECT_EQ(built(*std::make_shared<MaxPooling2D>(
                      PoolingOptions{.pool_size = {3, 2}, .strides = {1, 2}, .padding = "SAME"}),
                  {5, 7, 3}),
            (Shape{5, 4, 3}));
  EXPECT_EQ(built(*std::make_shared<AveragePooling2D>(PoolingOptions{.pool_size = {3}}), {7, 9, 2}),
            (Shape{2, 3, 2}));
  EXPECT_EQ(built(*std::make_shared<MaxPooling1D>(), {11, 4}), (Shape{5, 4}));
  EXPECT_EQ(built(*std::make_shared<AveragePooling1D>(
                      PoolingOptions{.pool_size = {3}, .strides = {2}, .padding = "same"}),
                  {11, 4}),
            (Shape{6, 4}));
  EXPECT_EQ(built(*std::make_shared<GlobalAveragePooling2D>(), {5, 7, 3}), (Shape{3}));
  EXPECT_EQ(built(*std::make_shared<GlobalMaxPooling2D>(GlobalPoolingOptions{.keepdims = true}),
                  {5, 7, 3}),
            (Shape{1, 1, 3}));
  EXPECT_EQ(built(*std::make_shared<GlobalMaxPooling1D>(), {9, 4}), (Shape{4}));
  EXPECT_EQ(built(*std::make_shared<GlobalAveragePooling1D>(GlobalPoolingOptions{.keepdims = true}),
                  {9, 4}),
            (Shape{1, 4}));
}

TEST(PoolingLayers, DefaultNamesAreKeras) {
  EXPECT_EQ(MaxPooling2D().name().rfind("max_pooling2d", 0), 0u);
  EXPECT_EQ(AveragePooling1D().name().rfind("average_pooling1d", 0), 0u);
  EXPECT_EQ(GlobalAveragePooling2D().name().rfind("global_average_pooling2d", 0), 0u);
  EXPECT_EQ(GlobalMaxPooling1D(GlobalPoolingOptions{.name = "g"}).name(), "g");
}

// 1..9 in a 3x3 image, pool 2 stride 2 "same": one padding row and column after.
TEST(PoolingLayers, SamePaddingIsExcludedFromAveragesAndNeverAMaximum) {
  const Tensor x = Tensor::from({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor neg = Tensor::from({1, 3, 3, 1}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  for (const char* backend : {"cpu", "reference"}) {
    SCOPED_TRACE(backend);
    AveragePooling2D avg(PoolingOptions{.padding = "same"});
    EXPECT_EQ(run(avg, x, false, backend).to_vector(), (std::vector<float>{3, 4.5f, 7.5f, 9}));
    MaxPooling2D max(PoolingOptions{.padding = "same"});
    EXPECT_EQ(run(max, neg, true, backend).to_vector(), (std::vector<float>{-1, -3, -7, -9}));
    GlobalAveragePooling2D gavg;
    EXPECT_EQ(run(gavg, x, false, backend).to_vector(), (std::vector<float>{5}));
    GlobalMaxPooling1D gmax;
    EXPECT_EQ(run(gmax, x.view({1, 9, 1}), false, backend).to_vector(), (std::vector<float>{9}));
  }
}

TEST(PoolingLayers, MaxGradientGoesToTheMaximum) {
  const Tensor x = Tensor::from({1, 2, 4, 1}, {1, 7, 3, 2, 5, 0, 4, 9});
  for (const char* backend : {"cpu", "reference"}) {
    SCOPED_TRACE(backend);
    MaxPooling2D max;
    Tensor y = run(max, x, true, backend);
    EXPECT_EQ(y.to_vector(), (std::vector<float>{7, 9}));
    Tensor dy = Tensor::from({1, 1, 2, 1}, {10, 20});
    Tensor dx;
    BackwardContext ctx{*get_backend(backend)};
    const Tensor* ins[] = {&x};
    Tensor* dins[] = {&dx};
    max.backward(ctx, ins, y, dy, dins);
    EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 10, 0, 0, 0, 0, 0, 20}));
  }
}

TEST(PoolingLayers, BadOptionsAndShapesAreRefusedNamingThem) {
  EXPECT_EQ(error_of([] { MaxPooling2D(PoolingOptions{.padding = "causal", .name = "p"}); }),
            "MaxPooling2D 'p': padding must be \"valid\" or \"same\", got \"causal\"");
  EXPECT_EQ(error_of([] { AveragePooling2D(PoolingOptions{.pool_size = {0}, .name = "p"}); }),
            "AveragePooling2D 'p': pool_size must be positive, got 0");
  EXPECT_EQ(error_of([] {
              MaxPooling1D(PoolingOptions{.strides = {1, 2}, .name = "p"});
            }),
            "MaxPooling1D 'p': strides needs 1 value, got 2");
  EXPECT_EQ(
      error_of([] { built(*std::make_shared<MaxPooling2D>(PoolingOptions{.name = "p"}), {784}); }),
      "MaxPooling2D 'p': expected an input of rank 4 (batch, height, width, channels), got "
      "(None, 784)");
  EXPECT_EQ(error_of([] {
              built(*std::make_shared<GlobalAveragePooling1D>(GlobalPoolingOptions{.name = "g"}),
                    {4, 4, 1});
            }),
            "GlobalAveragePooling1D 'g': expected an input of rank 3 (batch, steps, channels), got "
            "(None, 4, 4, 1)");
  EXPECT_EQ(error_of([] {
              built(*std::make_shared<MaxPooling2D>(PoolingOptions{.pool_size = {3}, .name = "p"}),
                    {2, 5, 1});
            }),
            "MaxPooling2D 'p': pool_size is larger than the input (None, 2, 5, 1) with padding "
            "\"valid\"");
}

std::unique_ptr<Sequential> pool_model() {
  auto m = std::make_unique<Sequential>("pools");
  m->add(std::make_shared<InputLayer>(Shape{9, 8, 3}, "in"));
  m->add(std::make_shared<Dense>(4, DenseOptions{.activation = "tanh", .name = "d1"}));
  m->add(std::make_shared<MaxPooling2D>(
      PoolingOptions{.pool_size = {3, 2}, .strides = {2, 1}, .padding = "same", .name = "mp"}));
  m->add(std::make_shared<AveragePooling2D>(PoolingOptions{.name = "ap"}));
  m->add(std::make_shared<GlobalMaxPooling2D>(GlobalPoolingOptions{.keepdims = true, .name = "g"}));
  m->add(std::make_shared<Flatten>("f"));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  return m;
}

TEST(PoolingLayers, ConfigsRoundTripInBothStyles) {
  auto m = pool_model();
  for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
    const std::string text = model_to_json(*m, style);
    EXPECT_NE(text.find(R"("pool_size":[3,2],"padding":"same","strides":[2,1],)"
                        R"("data_format":"channels_last")"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(R"("data_format":"channels_last","keepdims":true)"), std::string::npos);
    auto back = model_from_json(text, "config", 3);
    EXPECT_EQ(model_to_json(*back, style), text);
    auto* mp = dynamic_cast<MaxPooling2D*>(back->layers()[1].get());
    ASSERT_NE(mp, nullptr);
    EXPECT_EQ(mp->pool_size(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(back->output_shape(), (Shape{3}));
  }
}

std::string one_layer(const std::string& cls, const std::string& config, const char* shape) {
  return R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", )"
         R"("config": {"batch_input_shape": )" +
         std::string(shape) + R"(}}, {"class_name": ")" + cls + R"(", "config": )" + config +
         "}]}}";
}

TEST(PoolingLayers, KerasConfigsAreReadOrRefusedNamingTheOption) {
  // tf.keras 2 writes ints as lists too; a single int is accepted as Keras accepts it.
  auto m = model_from_json(one_layer("MaxPooling1D",
                                     R"({"name": "p", "pool_size": 3, "strides": null, )"
                                     R"("padding": "valid", "data_format": "channels_last"})",
                                     "[null, 10, 2]"));
  EXPECT_EQ(m->output_shape(), (Shape{3, 2}));
  auto g =
      model_from_json(one_layer("GlobalAveragePooling2D", R"({"name": "g"})", "[null, 4, 4, 2]"));
  EXPECT_EQ(g->output_shape(), (Shape{2}));
  struct Refusal {
    const char* cls;
    const char* config;
    const char* shape;
    const char* message;  // the whole message, after "m.json: layers[1]: "
  };
  const Refusal refusals[] = {
      {"MaxPooling2D", R"({"name": "p", "data_format": "channels_first"})", "[null, 1, 4, 4]",
       "data_format: only channels_last is supported, got \"channels_first\""},
      {"AveragePooling2D", R"({"name": "p", "pool_size": [2]})", "[null, 4, 4, 1]",
       "pool_size: expected 2 values, got [2]"},
      {"AveragePooling1D", R"({"name": "p", "strides": [0]})", "[null, 4, 1]",
       "strides: expected positive integers, got [0]"},
      {"MaxPooling2D", R"({"name": "p", "padding": "full"})", "[null, 4, 4, 1]",
       "MaxPooling2D 'p': padding must be \"valid\" or \"same\", got \"full\""},
      {"GlobalMaxPooling1D", R"({"name": "g", "keepdims": 1})", "[null, 4, 2]",
       "keepdims: expected true or false, got 1"},
  };
  for (const Refusal& r : refusals)
    EXPECT_EQ(error_of([&] { model_from_json(one_layer(r.cls, r.config, r.shape), "m.json"); }),
              std::string("m.json: layers[1]: ") + r.message);
  // An option Keras' pooling layers do not have is named too (check_keys).
  EXPECT_NE(error_of([] {
              model_from_json(one_layer("MaxPooling2D", R"({"name": "p", "dilation_rate": 2})",
                                        "[null, 4, 4, 1]"),
                              "m.json");
            }).find("dilation_rate"),
            std::string::npos);
}

// The same model, weights and data train to the same weights on the CPU backend (oneDNN's
// pooling) as on the reference backend.
TEST(PoolingLayers, ModelTrainsTheSameOnCpuAndReference) {
  std::vector<std::vector<float>> weights;
  for (const char* backend : {"cpu", "reference"}) {
    auto m = pool_model();
    m->set_backend(get_backend(backend));
    m->initialize_weights(5);
    m->compile({std::make_shared<Adam>(OptimizerOptions{0.01}),
                Loss::parse("categorical_crossentropy"),
                {}});
    Rng rng(9);
    const Tensor x = test::random_tensor(rng, {20, 9, 8, 3});
    const Tensor y = test::one_hot(rng, 20, 3);
    m->fit(x, y, FitOptions{.batch_size = 10, .epochs = 2, .verbose = 0, .shuffle = false});
    std::vector<float> all;
    for (const Tensor& w : m->get_weights())
      for (float v : w.to_vector()) all.push_back(v);
    weights.push_back(all);
  }
  EXPECT_TRUE(test::all_close(weights[0], weights[1], 1e-4, 1e-5));
}

}  // namespace
}  // namespace glia

// The shape layers (Reshape, Rescaling, ZeroPadding2D): shapes, values, refusals, and their
// configs both ways.
#include <gtest/gtest.h>

#include <functional>

#include "error_of.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/saving.hpp"

namespace glia {
namespace {

using testing_util::error_of;

Tensor run(Layer& layer, const Tensor& x) {
  Rng rng(1);
  layer.ensure_built({Shape(x.shape().begin() + 1, x.shape().end())}, rng);
  auto be = get_backend("cpu");
  ForwardContext ctx{*be};
  Tensor out;
  const Tensor* in[] = {&x};
  layer.forward(ctx, in, out);
  return out;
}

TEST(ShapeLayers, ReshapeIsAViewAndInfersMinusOne) {
  Reshape r({-1, 2});
  Tensor x = Tensor::from({2, 3, 2, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor y = run(r, x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(y.data(), x.data());  // no copy
  EXPECT_EQ(r.target_shape(), (Shape{-1, 2}));
  Reshape r2({7, -1});
  Rng rng(1);
  EXPECT_EQ(error_of([&] {
              r2.ensure_built({{3, 5}}, rng);
            }),
            "Reshape '" + r2.name() +
                "': the input (None, 3, 5) (15 values per sample) cannot be reshaped to "
                "(None, 7, -1)");
  EXPECT_EQ(error_of([&] {
              Reshape({-1, -1});
            }),
            "Reshape: target_shape (-1, -1) may hold at most one -1 (an inferred dimension)");
  EXPECT_EQ(error_of([&] {
              Reshape({2, -3});
            }),
            "Reshape: target_shape (2, -3) must hold positive dimensions or one -1");
  EXPECT_EQ(error_of([&] { Reshape(Shape{}); }),
            "Reshape: target_shape must have at least one dimension");
}

TEST(ShapeLayers, RescalingValues) {
  Rescaling s(0.5f, -1.0f);
  Tensor y = run(s, Tensor::from({2, 2}, {0, 2, 4, -6}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-1, 0, 1, -4}));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_NE(error_of([&] {
              Rescaling(std::numeric_limits<float>::infinity());
            }).find("Rescaling: scale and offset must be finite float32 numbers"),
            std::string::npos);
}

TEST(ShapeLayers, ZeroPadding2DValuesAndRefusals) {
  ZeroPadding2D z(Padding2D{1, 0, 0, 2});
  // One 2x2 image with 1 channel: a row of zeros on top, two columns on the right.
  Tensor y = run(z, Tensor::from({1, 2, 2, 1}, {1, 2, 3, 4}));
  EXPECT_EQ(y.shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
  // Two channels stay interleaved.
  ZeroPadding2D one(1);
  Tensor y2 = run(one, Tensor::from({1, 1, 1, 2}, {5, 6}));
  EXPECT_EQ(y2.shape(), (Shape{1, 3, 3, 2}));
  EXPECT_EQ(y2[8], 5.0f);
  EXPECT_EQ(y2[9], 6.0f);
  EXPECT_EQ(error_of([&] { ZeroPadding2D(-1); }),
            "ZeroPadding2D: padding must not be negative, got ((-1, -1), (-1, -1))");
  ZeroPadding2D flat(1);
  Rng rng(1);
  EXPECT_EQ(error_of([&] { flat.ensure_built({{784}}, rng); }),
            "ZeroPadding2D '" + flat.name() +
                "': expected images (height, width, channels), got (None, 784)");
}

std::shared_ptr<Model> image_model() {
  auto m = std::make_shared<Sequential>();
  auto* s = dynamic_cast<Sequential*>(m.get());
  s->add(std::make_shared<InputLayer>(Shape{6, 5, 1}));
  s->add(std::make_shared<Rescaling>(0.25f, 0.5f, "scale"));
  s->add(std::make_shared<ZeroPadding2D>(Padding2D{1, 2, 0, 3}, "pad"));
  s->add(std::make_shared<Reshape>(Shape{-1, 8}, "rows"));
  s->add(std::make_shared<Flatten>());
  s->add(std::make_shared<Dense>(3));
  m->initialize_weights(5);
  return m;
}

TEST(ShapeLayers, ConfigsRoundTripInBothStyles) {
  auto m = image_model();
  Tensor x(Shape{2, 6, 5, 1});
  for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  const Tensor want = m->predict(x);
  for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
    const std::string text = model_to_json(*m, style);
    EXPECT_NE(text.find(R"("padding":[[1,2],[0,3]])"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("target_shape":[-1,8])"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("scale":0.25,"offset":0.5)"), std::string::npos) << text;
    auto back = model_from_json(text, "config", 5);
    EXPECT_EQ(back->output_shape(), (Shape{3}));
    EXPECT_EQ(back->predict(x).to_vector(), want.to_vector());
  }
}

std::string with_layer(const std::string& layer) {
  return R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 1]}},)" +
         layer + "]}}";
}

// The message a model with this layer after a (4, 4, 1) input is refused with.
std::string refusal(const std::string& layer) {
  return error_of([&] { model_from_json(with_layer(layer)); });
}

TEST(ShapeLayers, ConfigForms) {
  auto pad = [](const std::string& padding) {
    auto m = model_from_json(
        with_layer(R"({"class_name": "ZeroPadding2D", "config": {"padding": )" + padding + "}}"));
    return m->output_shape();
  };
  EXPECT_EQ(pad("2"), (Shape{8, 8, 1}));
  EXPECT_EQ(pad("[1, 2]"), (Shape{6, 8, 1}));
  EXPECT_EQ(pad("[[0, 1], [2, 3]]"), (Shape{5, 9, 1}));
  EXPECT_EQ(refusal(R"({"class_name": "ZeroPadding2D", "config": {"padding": [1, 2, 3]}})"),
            "config: layers[1]: padding: expected an int, [height, width] or [[top, bottom], "
            "[left, right]], got [1,2,3]");
  EXPECT_EQ(refusal(R"({"class_name": "ZeroPadding2D", "config":
                {"padding": 1, "data_format": "channels_first"}})"),
            "config: layers[1]: data_format: only channels_last is supported, got "
            "\"channels_first\"");
  EXPECT_EQ(refusal(R"({"class_name": "Rescaling", "config": {"scale": [1.0, 2.0], "offset": 0}})"),
            "config: layers[1]: scale: only a number is supported (per-channel lists and arrays "
            "are not), got [1.0,2.0]");
  EXPECT_EQ(
      refusal(R"({"class_name": "Reshape", "config": {"name": "r", "target_shape": [5, -1]}})"),
      "config: layers[1]: Reshape 'r': the input (None, 4, 4, 1) (16 values per "
      "sample) cannot be reshaped to (None, 5, -1)");
  EXPECT_EQ(refusal(R"({"class_name": "Rescaling", "config":
                {"scale": 2, "interpolation": "bilinear"}})"),
            "config: layers[1]: option 'interpolation' = \"bilinear\" is not supported by Glia "
            "(only the default null/false is accepted)");
}

// A Reshape or Flatten on one branch of a layer whose output feeds two layers: their backward
// must not leave the graph's gradient buffer of that layer sharing storage with their own
// incoming gradient, or the other branch's gradient overwrites it on the next step. Trained
// side by side with a copying identity (a linear Activation), the weights must stay equal.
std::shared_ptr<Model> branchy(const std::function<LayerPtr()>& identity) {
  KerasTensor in = Input({4});
  KerasTensor h = (*std::make_shared<Dense>(6, DenseOptions{.activation = "tanh"}))(in);
  // Topological order h, r, b, sum: the backward writes r's gradient (sum), then b's into h's
  // buffer (b), then reads r's (r).
  KerasTensor r = (*identity())(h);
  KerasTensor b = (*std::make_shared<Dense>(6))(h);
  KerasTensor sum = (*std::make_shared<Add>())({r, b});
  KerasTensor out = (*std::make_shared<Dense>(3))(sum);
  auto m = std::make_shared<Model>(in, out);
  m->initialize_weights(3);
  CompileOptions c;
  c.optimizer = std::make_shared<SGD>(OptimizerOptions{0.1});
  c.loss = Loss::parse("mean_squared_error");
  m->compile(c);
  return m;
}

TEST(ShapeLayers, ViewLayersOnABranchTrainAsACopyingIdentity) {
  Tensor x{Shape{8, 4}}, y{Shape{8, 3}};
  Rng rng(5);
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
  for (int64_t i = 0; i < y.size(); ++i) y.data()[i] = static_cast<float>(rng.normal());
  FitOptions o;
  o.epochs = 3;
  o.batch_size = 4;
  o.verbose = 0;
  o.shuffle = false;
  auto want = branchy([] { return std::make_shared<Activation>("linear"); });
  const std::vector<Tensor> initial = want->get_weights();
  want->fit(x, y, o);
  const std::vector<std::function<LayerPtr()>> views = {
      [] { return std::make_shared<Reshape>(Shape{6}); },
      [] { return std::make_shared<Flatten>(); }};
  for (const auto& view : views) {
    auto m = branchy(view);
    m->set_weights(initial);
    m->fit(x, y, o);
    const auto got = m->get_weights(), expected = want->get_weights();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t v = 0; v < got.size(); ++v)
      for (int64_t i = 0; i < got[v].size(); ++i)
        ASSERT_NEAR(got[v][i], expected[v][i], 1e-6)
            << m->layers()[1]->class_name() << " weight " << v << " [" << i << "]";
  }
}

}  // namespace
}  // namespace glia

// Model: construction errors, Keras 3's summary() text, training of functional graphs, shape
// errors, validation_split, evaluate / predict, weights, callbacks that stop fit(), determinism
// and batching.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "glia/callbacks.hpp"
#include "glia/data.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "glia/runtime.hpp"
#include "harness.hpp"

namespace glia {
namespace {

using testing::internal::CaptureStderr;
using testing::internal::GetCapturedStderr;

using test::error_of;

LayerPtr dense(int64_t units, const std::string& activation = "linear",
               const std::string& name = "") {
  return std::make_shared<Dense>(units, DenseOptions{.activation = activation, .name = name});
}

// The seed's MLP (keras_mnist.py with --first-layer-neurons 300): 784-300-100-10.
std::unique_ptr<Sequential> seed_mlp() {
  auto m = std::make_unique<Sequential>();
  m->add(std::make_shared<InputLayer>(Shape{784}));
  m->add(dense(300, "relu", "dense"));
  m->add(dense(100, "relu", "dense_1"));
  m->add(dense(10, "softmax", "dense_2"));
  return m;
}

template <class L, class... Args>
KerasTensor call(const std::vector<KerasTensor>& inputs, Args&&... args) {
  auto layer = std::make_shared<L>(std::forward<Args>(args)...);
  return inputs.size() == 1 ? (*layer)(inputs[0]) : (*layer)(inputs);
}

// ---- construction ----

TEST(Sequential, NeedsAnInputLayerFirst) {
  Sequential s("seq");
  EXPECT_EQ(error_of([&] { s.add(dense(3, "linear", "d")); }),
            "Sequential 'seq': the first layer must be an InputLayer (got Dense 'd')");
  EXPECT_THROW(std::make_unique<Sequential>(std::vector<LayerPtr>{dense(3)}), Error);
  s.add(std::make_shared<InputLayer>(Shape{4}));
  EXPECT_EQ(error_of([&] { s.add(std::make_shared<InputLayer>(Shape{4}, "in2")); }),
            "Sequential 'seq': an InputLayer can only be the first layer");
  EXPECT_EQ(error_of([&] { s.add(nullptr); }), "Sequential 'seq': cannot add a null layer");
  s.add(dense(3));
  EXPECT_EQ(s.output_shape(), (Shape{3}));
  EXPECT_EQ(s.layers().size(), 1u);  // the InputLayer is not among model.layers
}

TEST(Sequential, IncompatibleLayersAreReported) {
  Sequential s;
  s.add(std::make_shared<InputLayer>(Shape{4}));
  EXPECT_THROW(s.add(std::make_shared<Add>()), Error);  // a merge layer needs two inputs
  EXPECT_THROW(Dense(0), Error);
  EXPECT_THROW(Dropout(1.0f), Error);
}

TEST(Functional, GraphErrors) {
  KerasTensor a = Input({4}), b = Input({4});
  KerasTensor da = call<Dense>({a}, 2);
  KerasTensor db = call<Dense>({b}, 2);
  KerasTensor sum = call<Add>({da, db});
  // The output depends on a second Input that is not the model's input.
  EXPECT_NE(
      error_of([&] { std::make_unique<Model>(a, sum); }).find("which is not the model's input"),
      std::string::npos);
  EXPECT_EQ(error_of([&] { std::make_unique<Model>(da, sum, "m"); }),
            "model 'm': the input must come from Input(shape)");
  EXPECT_THROW(call<Add>({da, call<Dense>({a}, 3)}), Error);  // shapes differ
  EXPECT_THROW(call<Concatenate>({Input({2, 3}), Input({3, 3})}), Error);
}

// ---- summary ----

TEST(Summary, SeedMlpMatchesKeras3) {
  // Keras 3 prints this for the seed's model (stdout not a terminal: 76-column table).
  const std::string want =
      "Model: \"sequential\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
      "│ dense (Dense)                   │ (None, 300)            │       235,500 │\n"
      "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
      "│ dense_1 (Dense)                 │ (None, 100)            │        30,100 │\n"
      "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
      "│ dense_2 (Dense)                 │ (None, 10)             │         1,010 │\n"
      "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
      " Total params: 266,610 (1.02 MB)\n"
      " Trainable params: 266,610 (1.02 MB)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  auto m = seed_mlp();
  EXPECT_EQ(m->summary(), want);
  EXPECT_EQ(m->count_params(), 266610);
}

TEST(Summary, FunctionalChainLooksSequentialWithItsInputLayer) {
  KerasTensor in = Input({784}, "input_layer");
  KerasTensor h = call<Flatten>({in}, "flatten");
  KerasTensor out = call<Dense>({h}, 10, DenseOptions{.activation = "softmax", .name = "dense"});
  Model m(in, out);
  const std::string want =
      "Model: \"functional\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
      "│ input_layer (InputLayer)        │ (None, 784)            │             0 │\n"
      "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
      "│ flatten (Flatten)               │ (None, 784)            │             0 │\n"
      "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
      "│ dense (Dense)                   │ (None, 10)             │         7,850 │\n"
      "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
      " Total params: 7,850 (30.66 KB)\n"
      " Trainable params: 7,850 (30.66 KB)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(m.summary(), want);
}

TEST(Summary, FunctionalGraphHasConnectionsAndWrapsCells) {
  // Keras 3 (rich) wraps cells at spaces and cuts words longer than the column with "…".
  KerasTensor in = Input({6}, "input_layer");
  KerasTensor h = call<Dense>({in}, 8, DenseOptions{.name = "a_really_long_dense_layer_name"});
  KerasTensor a = call<Dense>({h}, 5, DenseOptions{.name = "dense_1"});
  KerasTensor b = call<Dense>({h}, 5, DenseOptions{.name = "dense_2"});
  KerasTensor s = call<Add>({a, b}, "add");
  KerasTensor c = call<Concatenate>({s, a}, "concatenate");
  KerasTensor out = call<Dense>({c}, 3, DenseOptions{.activation = "softmax", .name = "dense_3"});
  Model m(in, out, "branchy");
  const std::string want =
      "Model: \"branchy\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
      "│ input_layer         │ (None, 6)         │          0 │ -                 │\n"
      "│ (InputLayer)        │                   │            │                   │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ a_really_long_dens… │ (None, 8)         │         56 │ input_layer[0][0] │\n"
      "│ (Dense)             │                   │            │                   │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense_1 (Dense)     │ (None, 5)         │         45 │ a_really_long_de… │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense_2 (Dense)     │ (None, 5)         │         45 │ a_really_long_de… │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ add (Add)           │ (None, 5)         │          0 │ dense_1[0][0],    │\n"
      "│                     │                   │            │ dense_2[0][0]     │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ concatenate         │ (None, 10)        │          0 │ add[0][0],        │\n"
      "│ (Concatenate)       │                   │            │ dense_1[0][0]     │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense_3 (Dense)     │ (None, 3)         │         33 │ concatenate[0][0] │\n"
      "└─────────────────────┴───────────────────┴────────────┴───────────────────┘\n"
      " Total params: 179 (716.00 B)\n"
      " Trainable params: 179 (716.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(m.summary(), want);
}

TEST(Summary, LongSequentialNamesWrap) {
  Sequential s("sequential");
  s.add(std::make_shared<InputLayer>(Shape{4, 5}));
  s.add(std::make_shared<Flatten>("flatten_the_input_images_into_rows"));
  const std::string want =
      "Model: \"sequential\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
      "│ flatten_the_input_images_into_… │ (None, 20)             │             0 │\n"
      "│ (Flatten)                       │                        │               │\n"
      "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
      " Total params: 0 (0.00 B)\n"
      " Trainable params: 0 (0.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(s.summary(), want);
}

// ---- training a functional graph ----

// Two Gaussian-ish blobs per class in 6-D, labels one-hot over 3 classes.
void blobs(int64_t n, uint64_t seed, Tensor& x, Tensor& y, bool sparse = false) {
  Rng rng(seed);
  x = Tensor({n, 6});
  y = sparse ? Tensor({n, 1}) : Tensor({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    const auto c = static_cast<int64_t>(rng.below(3));
    for (int64_t k = 0; k < 6; ++k)
      x[i * 6 + k] = static_cast<float>((k % 3 == c ? 1.5 : -0.5) + 0.5 * rng.normal());
    if (sparse)
      y[i] = static_cast<float>(c);
    else
      y[i * 3 + c] = 1.0f;
  }
}

std::unique_ptr<Model> branchy_classifier() {
  KerasTensor in = Input({6});
  KerasTensor h = call<Dense>({in}, 16, DenseOptions{.activation = "relu"});
  KerasTensor a = call<Dense>({h}, 8, DenseOptions{.activation = "tanh"});
  KerasTensor b = call<Dense>({h}, 8, DenseOptions{.activation = "gelu"});
  KerasTensor s = call<Add>({a, b});
  KerasTensor c = call<Concatenate>({s, h});
  KerasTensor out = call<Dense>({c}, 3, DenseOptions{.activation = "softmax"});
  return std::make_unique<Model>(in, out);
}

TEST(Functional, AddAndConcatenateModelTrains) {
  auto m = branchy_classifier();
  m->initialize_weights(3);
  m->compile({std::make_shared<Adam>(OptimizerOptions{0.01}),
              Loss::parse("categorical_crossentropy"),
              {"accuracy"}});
  Tensor x, y;
  blobs(256, 4, x, y);
  History h = m->fit(x, y, {.batch_size = 32, .epochs = 8, .verbose = 0, .seed = 5});
  ASSERT_EQ(h.history.at("loss").size(), 8u);
  EXPECT_LT(h.history["loss"].back(), 0.5 * h.history["loss"].front());
  EXPECT_GT(h.history.at("accuracy").back(), 0.9);
  const Logs logs = m->evaluate(x, y);
  EXPECT_EQ(logs.size(), 2u);
  EXPECT_GT(logs.at("accuracy"), 0.9);
}

TEST(Functional, SparseLabelsTrainToo) {
  auto m = branchy_classifier();
  m->initialize_weights(3);
  m->compile({std::make_shared<RMSprop>(OptimizerOptions{0.01}),
              Loss::parse("sparse_categorical_crossentropy"),
              {"accuracy"}});
  Tensor x, y;
  blobs(256, 4, x, y, true);
  History h = m->fit(x, y, {.batch_size = 32, .epochs = 6, .verbose = 0});
  EXPECT_LT(h.history.at("loss").back(), 0.5 * h.history["loss"].front());
  EXPECT_GT(m->evaluate(x, y).at("accuracy"), 0.9);
  // Rank-1 labels, shape (n,), as Keras accepts them.
  const Tensor flat = y.view({256});
  EXPECT_NEAR(m->evaluate(x, flat).at("loss"), m->evaluate(x, y).at("loss"), 1e-12);
  EXPECT_NO_THROW(m->fit(x, flat, {.batch_size = 32, .epochs = 1, .verbose = 0}));
}

// ---- shape and usage errors ----

class ModelErrors : public testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Sequential>("mlp");
    m_->add(std::make_shared<InputLayer>(Shape{6}));
    m_->add(dense(3, "softmax"));
  }
  void compile(const std::string& loss = "categorical_crossentropy") {
    m_->compile({std::make_shared<SGD>(), Loss::parse(loss), {"accuracy"}});
  }
  FitOptions quiet() { return {.verbose = 0}; }
  std::unique_ptr<Sequential> m_;
};

TEST_F(ModelErrors, NotCompiled) {
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({4, 6}), Tensor({4, 3}), quiet());
            }),
            "fit: model 'mlp' is not compiled: call compile() first");
  EXPECT_THROW(m_->evaluate(Tensor({4, 6}), Tensor({4, 3})), Error);
  EXPECT_THROW(m_->optimizer(), Error);
  EXPECT_THROW(m_->compile({}), Error);  // no optimizer
  // predict needs no compile.
  EXPECT_EQ(m_->predict(Tensor({4, 6})).shape(), (Shape{4, 3}));
}

TEST_F(ModelErrors, WrongXShape) {
  compile();
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({4, 5}), Tensor({4, 3}), quiet());
            }),
            "fit: x has per-sample shape (5,) but the model's input is (None, 6)");
  EXPECT_EQ(error_of([&] {
              m_->evaluate(Tensor({4, 5}), Tensor({4, 3}));
            }),
            "evaluate: x has per-sample shape (5,) but the model's input is (None, 6)");
  EXPECT_EQ(error_of([&] {
              m_->predict(Tensor({4, 5}));
            }),
            "predict: x has shape (4, 5) but the model's input is (None, 6)");
  EXPECT_THROW(m_->predict(Tensor({6})), Error);
}

TEST_F(ModelErrors, WrongYShape) {
  compile();
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({4, 6}), Tensor({4, 4}), quiet());
            }),
            "targets have per-sample shape (4,) but the model outputs (3,) and the loss is "
            "categorical_crossentropy");
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({4, 6}), Tensor({5, 3}), quiet());
            }),
            "TensorDataset: x has 4 samples but y has 5");
}

TEST_F(ModelErrors, SparseLabelsNeedTheSparseLoss) {
  compile();
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({4, 6}), Tensor({4, 1}), quiet());
            }),
            "targets have per-sample shape (1,) but the model outputs (3,) and the loss is "
            "categorical_crossentropy (class indices need sparse_categorical_crossentropy)");
  compile("sparse_categorical_crossentropy");
  EXPECT_THROW(m_->fit(Tensor({4, 6}), Tensor({4, 3}), quiet()), Error);  // one-hot, sparse loss
  EXPECT_NO_THROW(m_->fit(Tensor({4, 6}), Tensor({4, 1}), quiet()));
  // A label outside the classes is reported, not read out of bounds.
  Tensor bad({4, 1});
  bad[2] = 3;
  EXPECT_NE(error_of([&] {
              m_->fit(Tensor({4, 6}), bad, quiet());
            }).find("sparse label 3"),
            std::string::npos);
}

// Regression: evaluate() once checked x but not the targets, so a y of the wrong shape was read
// out of bounds (no metrics to resolve, or metrics resolved by an earlier fit on other targets).
TEST_F(ModelErrors, EvaluateChecksTargetShapes) {
  m_->compile({std::make_shared<SGD>(), Loss::parse("categorical_crossentropy"), {}});
  EXPECT_THROW(m_->evaluate(Tensor({4, 6}), Tensor({4, 1})), Error);
  compile();  // with "accuracy"
  m_->fit(Tensor({4, 6}), Tensor({4, 3}), quiet());
  EXPECT_THROW(m_->evaluate(Tensor({40, 6}), Tensor({40, 1})), Error);
  EXPECT_THROW(
      m_->fit(Tensor({4, 6}), Tensor({4, 3}),
              {.verbose = 0,
               .validation_data = std::make_shared<TensorDataset>(Tensor({4, 6}), Tensor({4, 2}))}),
      Error);
}

TEST_F(ModelErrors, BadFitOptions) {
  compile();
  const Tensor x({4, 6}), y({4, 3});
  EXPECT_EQ(error_of([&] { m_->fit(x, y, {.batch_size = 0, .verbose = 0}); }),
            "fit: batch_size must be positive, got 0");
  EXPECT_THROW(m_->fit(x, y, {.verbose = 0, .validation_split = 1.0}), Error);
  EXPECT_THROW(m_->fit(x, y, {.verbose = 0, .validation_split = -0.1}), Error);
  EXPECT_THROW(m_->fit(x, y, {.epochs = -1, .verbose = 0}), Error);
  // Regression: a negative bucket size was silently replaced by the default.
  EXPECT_EQ(error_of([&] { m_->fit(x, y, {.verbose = 0, .bucket_bytes = -1}); }),
            "fit: bucket_bytes must not be negative (0: $GLIA_BUCKET_BYTES, else 1 MiB), got -1");
  EXPECT_THROW(m_->predict(x, 0), Error);
  EXPECT_THROW(m_->evaluate(x, y, {.batch_size = 0}), Error);
  EXPECT_EQ(error_of([&] {
              m_->fit(Tensor({0, 6}), Tensor({0, 3}), quiet());
            }),
            "fit: the training data is empty");
}

// ---- validation_split, evaluate, predict ----

TEST(Fit, ValidationSplitTakesTheLastSamples) {
  // A frozen model that predicts 0 (zero weights, learning rate 0) with targets y_i = i: each
  // loss is the mean of i^2 over the samples it saw.
  Sequential m;
  m.add(std::make_shared<InputLayer>(Shape{2}));
  m.add(std::make_shared<Dense>(1, DenseOptions{.kernel_initializer = {"zeros"}}));
  m.initialize_weights(0);
  m.compile({std::make_shared<SGD>(OptimizerOptions{0.0}), Loss::parse("mse"), {}});
  Tensor x({8, 2}), y({8, 1});
  for (int64_t i = 0; i < 8; ++i) y[i] = static_cast<float>(i);
  History h = m.fit(x, y, {.batch_size = 3, .epochs = 2, .verbose = 0, .validation_split = 0.25});
  ASSERT_EQ(h.history.at("val_loss").size(), 2u);
  EXPECT_DOUBLE_EQ(h.history["loss"][0], (0 + 1 + 4 + 9 + 16 + 25) / 6.0);  // samples 0..5
  EXPECT_DOUBLE_EQ(h.history["val_loss"][0], (36 + 49) / 2.0);              // samples 6, 7
  EXPECT_DOUBLE_EQ(h.history["val_loss"][1], 42.5);
}

TEST(Fit, HistoryKeysAreSortedLikeKeras) {
  auto m = seed_mlp();
  m->compile({std::make_shared<RMSprop>(), Loss::parse("categorical_crossentropy"), {"accuracy"}});
  Tensor x({10, 784}), y({10, 10});
  for (int64_t i = 0; i < 10; ++i) y[i * 10 + i] = 1;
  auto val = std::make_shared<TensorDataset>(x, y);
  History h = m->fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .validation_data = val});
  std::vector<std::string> keys;
  for (auto& [k, v] : h.history) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"accuracy", "loss", "val_accuracy", "val_loss"}));
  EXPECT_EQ(h.epochs, (std::vector<int>{0, 1}));
}

TEST(Predict, ShapesAndBatchingEquivalence) {
  auto m = branchy_classifier();
  m->initialize_weights(8);
  Tensor x, y;
  blobs(37, 9, x, y);
  for (const char* backend : {"reference", "cpu"}) {
    SCOPED_TRACE(backend);
    m->set_backend(get_backend(backend));
    const Tensor whole = m->predict(x, 1000);
    ASSERT_EQ(whole.shape(), (Shape{37, 3}));
    for (int64_t bs : {1, 5, 32, 37}) {
      const Tensor parts = m->predict(x, bs);
      ASSERT_EQ(parts.shape(), whole.shape());
      if (std::string(backend) == "reference") {
        // Row-independent plain loops: the batch split cannot change a bit.
        EXPECT_TRUE(test::bit_equal(parts.data(), whole.data(), whole.size())) << bs;
      } else {
        EXPECT_TRUE(test::all_close(parts.data(), whole.data(), whole.size(), 1e-5, 1e-7)) << bs;
      }
    }
    // Softmax rows sum to 1.
    for (int64_t r = 0; r < 37; ++r)
      EXPECT_NEAR(whole[r * 3] + whole[r * 3 + 1] + whole[r * 3 + 2], 1.0, 1e-6);
  }
}

TEST(Predict, RankThreeInputsThroughFlatten) {
  Sequential m;
  m.add(std::make_shared<InputLayer>(Shape{4, 5}));
  m.add(std::make_shared<Flatten>());
  m.add(dense(2));
  Rng rng(1);
  const Tensor x = test::random_tensor(rng, {3, 4, 5});
  EXPECT_EQ(m.predict(x).shape(), (Shape{3, 2}));
  EXPECT_EQ(m.output_shape(), (Shape{2}));
  EXPECT_EQ(m.input_shape(), (Shape{4, 5}));
}

TEST(Evaluate, KeysAndBatchWeightedMean) {
  auto m = branchy_classifier();
  m->initialize_weights(8);
  m->set_backend(get_backend("reference"));
  m->compile({std::make_shared<SGD>(),
              Loss::parse("categorical_crossentropy"),
              {"accuracy", "top_k_categorical_accuracy"}});
  Tensor x, y;
  blobs(37, 9, x, y);
  const Logs whole = m->evaluate(x, y, {.batch_size = 37});
  EXPECT_EQ(whole.size(), 3u);
  for (int64_t bs : {1, 4, 10}) {
    const Logs parts = m->evaluate(x, y, {.batch_size = bs});
    EXPECT_NEAR(parts.at("loss"), whole.at("loss"), 1e-6) << bs;
    EXPECT_NEAR(parts.at("accuracy"), whole.at("accuracy"), 1e-12) << bs;
  }
  EXPECT_EQ(whole.at("top_k_categorical_accuracy"), 1.0);  // 3 classes, k = 5
  // The loss is the mean of the per-sample cross-entropy of the predictions.
  const Tensor p = m->predict(x);
  double ce = 0;
  for (int64_t i = 0; i < 37; ++i)
    for (int64_t c = 0; c < 3; ++c)
      if (y[i * 3 + c] == 1) ce -= std::log(p[i * 3 + c]);
  EXPECT_NEAR(whole.at("loss"), ce / 37, 1e-5);
}

// ---- weights ----

TEST(Weights, GetSetRoundTripAndErrors) {
  auto m = seed_mlp();
  auto w = m->get_weights();
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0].shape(), (Shape{784, 300}));
  EXPECT_EQ(w[1].shape(), (Shape{300}));
  EXPECT_EQ(w[5].shape(), (Shape{10}));
  auto vars = m->variables();
  EXPECT_EQ(vars[0]->name, "dense/kernel");
  EXPECT_EQ(vars[1]->name, "dense/bias");
  // get_weights returns copies.
  w[0][0] = 42.0f;
  EXPECT_NE(m->get_weights()[0][0], 42.0f);
  for (size_t i = 0; i < w.size(); ++i) w[i].fill(static_cast<float>(i) + 0.5f);
  m->set_weights(w);
  const auto back = m->get_weights();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(back[i].to_vector(), w[i].to_vector());

  EXPECT_EQ(error_of([&] {
              m->set_weights({w.begin(), w.end() - 1});
            }),
            "set_weights: model 'sequential' has 6 weights, got 5");
  auto swapped = w;
  swapped[0] = Tensor({300, 784});
  EXPECT_EQ(error_of([&] { m->set_weights(swapped); }),
            "set_weights: 'dense/kernel' has shape (784, 300), got (300, 784)");
  // A failed set_weights changes nothing.
  EXPECT_EQ(m->get_weights()[1].to_vector(), w[1].to_vector());
}

TEST(Weights, InitializeWeightsIsSeeded) {
  auto a = seed_mlp(), b = seed_mlp();
  a->initialize_weights(7);
  b->initialize_weights(7);
  auto wa = a->get_weights(), wb = b->get_weights();
  for (size_t i = 0; i < wa.size(); ++i)
    EXPECT_TRUE(test::bit_equal(wa[i].data(), wb[i].data(), wa[i].size())) << i;
  // Biases start at zero, kernels inside the glorot_uniform limit.
  EXPECT_EQ(wa[1].to_vector(), std::vector<float>(300, 0.0f));
  const float limit = std::sqrt(6.0f / (784 + 300));
  for (float v : wa[0].to_vector()) ASSERT_LE(std::fabs(v), limit);
  b->initialize_weights(8);
  EXPECT_FALSE(test::bit_equal(wa[0].data(), b->get_weights()[0].data(), wa[0].size()));
  // Re-initializing with the same seed restores the same draw.
  a->initialize_weights(8);
  a->initialize_weights(7);
  EXPECT_TRUE(test::bit_equal(wa[2].data(), a->get_weights()[2].data(), wa[2].size()));
}

// ---- callbacks that stop fit() ----

TEST(Callbacks, EarlyStoppingStopsAFit) {
  auto m = branchy_classifier();
  m->initialize_weights(1);
  m->compile({std::make_shared<SGD>(), Loss::parse("categorical_crossentropy"), {}});
  Tensor x, y;
  blobs(32, 2, x, y);
  // No epoch can improve by 1e9: the first one sets the best, the second stops.
  auto stop = std::make_shared<EarlyStopping>(
      EarlyStoppingOptions{.monitor = "loss", .min_delta = 1e9, .patience = 0});
  History h = m->fit(x, y, {.batch_size = 8, .epochs = 10, .verbose = 0, .callbacks = {stop}});
  EXPECT_EQ(h.epochs, (std::vector<int>{0, 1}));
  EXPECT_EQ(stop->stopped_epoch(), 1);
  EXPECT_TRUE(m->stop_training);
  // The next fit starts afresh.
  History again = m->fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  EXPECT_EQ(again.epochs.size(), 1u);
}

TEST(Callbacks, TerminateOnNaNStopsAtTheFirstBadBatch) {
  Sequential m;
  m.add(std::make_shared<InputLayer>(Shape{6}));
  m.add(dense(3));
  m.initialize_weights(1);
  m.compile({std::make_shared<SGD>(OptimizerOptions{1e30}), Loss::parse("mse"), {}});
  Tensor x, y;
  blobs(40, 3, x, y);
  int64_t batches = 0;
  auto counter = std::make_shared<LambdaCallback>();
  counter->batch_end = [&](int64_t, const Logs&) { ++batches; };
  CaptureStderr();
  History h = m.fit(x, y,
                    {.batch_size = 4,
                     .epochs = 5,
                     .verbose = 0,
                     .callbacks = {std::make_shared<TerminateOnNaN>(), counter}});
  const std::string err = GetCapturedStderr();
  EXPECT_LT(batches, 10);  // stopped inside the first epoch of 10 batches
  EXPECT_EQ(h.epochs.size(), 1u);
  EXPECT_FALSE(std::isfinite(h.history.at("loss")[0]));
  EXPECT_NE(err.find("Invalid loss, terminating training"), std::string::npos) << err;
}

// ---- determinism ----

struct FitResult {
  std::vector<Tensor> weights;
  History history;
};

std::unique_ptr<Sequential> dropout_mlp() {
  auto m = std::make_unique<Sequential>();
  m->add(std::make_shared<InputLayer>(Shape{6}));
  m->add(dense(32, "relu"));
  m->add(std::make_shared<Dropout>(0.3f));
  m->add(dense(16, "tanh"));
  m->add(std::make_shared<Dropout>(0.2f));
  m->add(dense(3, "softmax"));
  return m;
}

FitResult fit_once(uint64_t init_seed, uint64_t fit_seed) {
  auto m = dropout_mlp();  // a new model (and new layers) each time
  m->initialize_weights(init_seed);
  m->compile({std::make_shared<Adam>(OptimizerOptions{0.01}),
              Loss::parse("categorical_crossentropy"),
              {"accuracy"}});
  Tensor x, y;
  blobs(100, 12, x, y);
  History h = m->fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0, .seed = fit_seed});
  return {m->get_weights(), h};
}

bool same_weights(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

TEST(Determinism, SameSeedsGiveBitIdenticalFits) {
  const FitResult a = fit_once(1, 2), b = fit_once(1, 2);
  EXPECT_TRUE(same_weights(a.weights, b.weights));
  EXPECT_EQ(a.history.history, b.history.history);  // exact doubles
  // Another fit seed (shuffling and dropout masks) or initial weights give another result.
  EXPECT_FALSE(same_weights(a.weights, fit_once(1, 3).weights));
  EXPECT_FALSE(same_weights(a.weights, fit_once(4, 2).weights));
}

TEST(Determinism, DropoutMasksFollowTheFitSeed) {
  // Reinitialising one model and fitting again with the same seeds reproduces the fit: the
  // Dropout layers' own seeds are redrawn by initialize_weights along with the weights.
  auto m = dropout_mlp();
  Tensor x, y;
  blobs(64, 13, x, y);
  std::vector<std::vector<Tensor>> results;
  for (int run = 0; run < 2; ++run) {
    m->initialize_weights(21);
    m->compile({std::make_shared<SGD>(OptimizerOptions{0.1}),
                Loss::parse("categorical_crossentropy"),
                {}});
    m->fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0, .seed = 22});
    results.push_back(m->get_weights());
  }
  EXPECT_TRUE(same_weights(results[0], results[1]));
}

// ---- batching ----

// Records every batch fit() draws.
class RecordingDataset : public TensorDataset {
 public:
  using TensorDataset::TensorDataset;
  void gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const override {
    batches.emplace_back(indices.begin(), indices.end());
    TensorDataset::gather(indices, x, y);
  }
  mutable std::vector<std::vector<int64_t>> batches;
};

class StepsProbe : public Callback {
 public:
  void on_train_begin(const Logs&) override { steps = params_.steps; }
  int64_t steps = -1;
};

TEST(Fit, KeepsTheLastPartialBatchAndReshufflesEachEpoch) {
  Sequential m;
  m.add(std::make_shared<InputLayer>(Shape{6}));
  m.add(dense(3, "softmax"));
  m.compile({std::make_shared<SGD>(), Loss::parse("categorical_crossentropy"), {}});
  Tensor x, y;
  blobs(10, 1, x, y);
  auto data = std::make_shared<RecordingDataset>(x, y);
  std::vector<int64_t> batch_ids;
  auto counter = std::make_shared<LambdaCallback>();
  counter->batch_end = [&](int64_t b, const Logs&) { batch_ids.push_back(b); };
  auto probe = std::make_shared<StepsProbe>();
  m.fit(data, {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {counter, probe}});
  EXPECT_EQ(probe->steps, 3);  // ceil(10 / 4)
  EXPECT_EQ(batch_ids, (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  ASSERT_EQ(data->batches.size(), 6u);
  std::vector<int64_t> order[2];
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(data->batches[i].size(), i % 3 == 2 ? 2u : 4u);
    order[i / 3].insert(order[i / 3].end(), data->batches[i].begin(), data->batches[i].end());
  }
  for (auto& o : order) {
    // Each epoch is a permutation of all samples.
    std::set<int64_t> seen(o.begin(), o.end());
    EXPECT_EQ(seen.size(), 10u);
  }
  EXPECT_NE(order[0], order[1]);  // reshuffled every epoch

  // shuffle = false keeps the data order.
  data->batches.clear();
  m.fit(data, {.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false});
  ASSERT_EQ(data->batches.size(), 3u);
  EXPECT_EQ(data->batches[2], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(data->batches[0], (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Fit, LossIsTheBatchSizeWeightedMean) {
  // With learning rate 0 every batch sees the same model: the epoch loss must equal evaluate's.
  Sequential m;
  m.add(std::make_shared<InputLayer>(Shape{6}));
  m.add(dense(3, "softmax"));
  m.initialize_weights(2);
  m.set_backend(get_backend("reference"));
  m.compile({std::make_shared<SGD>(OptimizerOptions{0.0}),
             Loss::parse("categorical_crossentropy"),
             {"accuracy"}});
  Tensor x, y;
  blobs(10, 6, x, y);
  History h = m.fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0});
  const Logs e = m.evaluate(x, y, {.batch_size = 10});
  EXPECT_NEAR(h.history.at("loss")[0], e.at("loss"), 1e-6);
  EXPECT_NEAR(h.history.at("accuracy")[0], e.at("accuracy"), 1e-12);
}

}  // namespace
}  // namespace glia

// Keras model files: every format round-trips weights, configs, compile configs and optimizer
// state; unsupported content and damaged files are refused with one-line errors; saves are
// atomic; reference samples catch a wrong load.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "glia/glia.hpp"
#include "glia/saving.hpp"
#include "harness.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

class Saving : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("saving");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::shared_ptr<Model> mlp(const std::string& optimizer = "adam") {
  auto m = std::make_shared<Sequential>("mlp");
  m->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  DenseOptions first{.activation = "relu", .name = "hidden"};
  first.kernel_regularizer.l2 = 0.01f;
  m->add(std::make_shared<Dense>(5, first));
  m->add(std::make_shared<Dropout>(0.25f, std::nullopt, "drop"));
  m->add(std::make_shared<Dense>(4, DenseOptions{.activation = "tanh", .name = "mid"}));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  m->initialize_weights(7);
  m->compile({.optimizer = make_optimizer(optimizer, 0.01),
              .loss = Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

std::shared_ptr<Model> functional() {
  KerasTensor in = Input({6}, "x");
  KerasTensor a =
      (*std::make_shared<Dense>(4, DenseOptions{.activation = "sigmoid", .name = "a"}))(in);
  KerasTensor b = (*std::make_shared<Dense>(4, DenseOptions{.name = "b"}))(in);
  KerasTensor s = (*std::make_shared<Add>("sum"))(std::vector<KerasTensor>{a, b});
  KerasTensor c = (*std::make_shared<Concatenate>("cat"))(std::vector<KerasTensor>{s, a});
  KerasTensor out =
      (*std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "y"}))(c);
  auto m = std::make_shared<Model>(in, out, "graph");
  m->initialize_weights(3);
  m->compile(
      {.optimizer = std::make_shared<RMSprop>(OptimizerOptions{.learning_rate = 0.005},
                                              RMSpropOptions{.momentum = 0.5, .centered = true}),
       .loss = Loss::parse("categorical_crossentropy"),
       .metrics = {"accuracy"}});
  return m;
}

/// A few SGD steps so optimizer slots and the iteration count are non-trivial.
void train_a_little(Model& m) {
  Rng rng(1);
  Tensor x = test::random_tensor(rng, {16, 6});
  Tensor y({16, 3});
  for (int64_t i = 0; i < 16; ++i) y[i * 3 + i % 3] = 1.0f;
  m.fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .seed = 5});
}

Tensor inputs() {
  Rng rng(9);
  return test::random_tensor(rng, {10, 6});
}

void expect_same_weights(Model& a, Model& b) {
  auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].to_vector(), wb[i].to_vector()) << i;
}

void expect_same_optimizer(Model& a, Model& b) {
  ASSERT_TRUE(b.compiled());
  EXPECT_EQ(a.optimizer().class_name(), b.optimizer().class_name());
  EXPECT_EQ(a.optimizer().iterations(), b.optimizer().iterations());
  EXPECT_FLOAT_EQ(static_cast<float>(a.optimizer().learning_rate()),
                  static_cast<float>(b.optimizer().learning_rate()));
  auto va = a.variables();
  for (size_t i = 0; i < va.size(); ++i) {
    auto sa = a.optimizer().slots(i), sb = b.optimizer().slots(i);
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t k = 0; k < sa.size(); ++k) EXPECT_EQ(sa[k]->to_vector(), sb[k]->to_vector());
  }
}

TEST_F(Saving, EveryFormatRoundTripsWeightsCompileAndOptimizerState) {
  for (const char* opt : {"adam", "sgd", "rmsprop", "adamw"}) {
    auto m = mlp(opt);
    train_a_little(*m);
    const Tensor want = m->predict(inputs()).clone();
    for (const char* file : {"m.keras", "m.h5"}) {
      SCOPED_TRACE(std::string(opt) + " " + file);
      save_model(*m, path(file));
      LoadedModel l = load_model(path(file));
      EXPECT_TRUE(l.has_weights);
      EXPECT_TRUE(l.compiled);
      EXPECT_TRUE(l.has_optimizer_state);
      EXPECT_EQ(l.optimizer_state_skipped, "");
      expect_same_weights(*m, *l.model);
      expect_same_optimizer(*m, *l.model);
      EXPECT_EQ(l.model->predict(inputs()).to_vector(), want.to_vector());
      EXPECT_EQ(l.model->loss().name(), "categorical_crossentropy");
      EXPECT_EQ(l.model->compile_options().metrics, std::vector<MetricSpec>{"accuracy"});
    }
  }
}

TEST_F(Saving, TheJsonPairKeepsArchitectureAndWeights) {
  auto m = functional();
  train_a_little(*m);
  save_model(*m, path("model.json"));
  EXPECT_TRUE(fs::exists(path("model.h5")));
  LoadedModel l = load_model(path("model.json"));
  EXPECT_EQ(l.format, ModelFormat::json_pair);
  EXPECT_TRUE(l.has_weights);
  EXPECT_EQ(l.model->class_name(), "Functional");
  expect_same_weights(*m, *l.model);
  // Loading the weights file names its architecture beside it.
  EXPECT_EQ(load_model(path("model.h5")).model->count_params(), m->count_params());
  // A folder finds model.json + model.h5.
  EXPECT_EQ(load_model(dir_.string()).model->predict(inputs()).to_vector(),
            m->predict(inputs()).to_vector());
}

TEST_F(Saving, FunctionalGraphsKeepOptimizerSlotsInKerasOrder) {
  auto m = functional();
  train_a_little(*m);
  save_model(*m, path("g.keras"));
  LoadedModel l = load_model(path("g.keras"));
  expect_same_weights(*m, *l.model);
  expect_same_optimizer(*m, *l.model);
  auto names = [](const Model& model) {
    std::vector<std::string> out;
    for (auto& layer : model.layers()) out.push_back(layer->name());
    return out;
  };
  EXPECT_EQ(names(*l.model), names(*m));
}

TEST_F(Saving, ConfigsRoundTripInBothStyles) {
  auto m = mlp();
  for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
    auto back = model_from_json(model_to_json(*m, style), "config", 7);
    // Written again, the config is the same text (compile configs aside: the copy is not
    // compiled).
    if (style == ConfigStyle::keras2) {
      EXPECT_EQ(model_to_json(*back, style), model_to_json(*m, style));
    }
    EXPECT_EQ(back->count_params(), m->count_params());
    auto l = back->layers();
    ASSERT_EQ(l.size(), 4u);
    auto* hidden = dynamic_cast<Dense*>(l[0].get());
    ASSERT_NE(hidden, nullptr);
    EXPECT_EQ(hidden->name(), "hidden");
    EXPECT_FLOAT_EQ(hidden->options().kernel_regularizer.l2, 0.01f);
    EXPECT_EQ(hidden->activation().name(), "relu");
    EXPECT_FLOAT_EQ(dynamic_cast<Dropout*>(l[1].get())->rate(), 0.25f);
  }
}

// Every activation layer, PReLU, and Dense's regularizers and constraints survive all three
// formats and both config styles; the loaded model predicts the same and trains the same.
std::shared_ptr<Model> activations_model() {
  auto m = std::make_shared<Sequential>("acts");
  m->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  DenseOptions d1{.activation = "elu", .name = "d1"};
  d1.bias_regularizer = {0.01f, 0.0f};
  d1.activity_regularizer = {0.0f, 0.02f};
  d1.kernel_constraint = Constraint::max_norm(2.0f, {0});
  d1.bias_constraint = Constraint::non_neg();
  m->add(std::make_shared<Dense>(8, d1));
  PReLUOptions p;
  p.alpha_constraint = Constraint::min_max_norm(0.1f, 1.0f, 0.5f, {0});
  p.name = "prelu";
  p.alpha_initializer = InitializerSpec::parse("constant");
  p.alpha_initializer.value = 0.25;
  p.alpha_regularizer.l1 = 0.001f;
  m->add(std::make_shared<PReLU>(p));
  DenseOptions d2;
  d2.activation = "hard_swish";
  d2.kernel_constraint = Constraint::unit_norm({0, 1});
  d2.name = "d2";
  m->add(std::make_shared<Dense>(6, d2));
  m->add(std::make_shared<LeakyReLU>(0.1f, "leaky"));
  m->add(std::make_shared<ELU>(0.7f, "elu"));
  m->add(std::make_shared<ReLU>(3.0f, 0.05f, 0.1f, "relu"));
  m->add(std::make_shared<Activation>("log_softmax", "logsm"));
  m->add(std::make_shared<Dense>(5, DenseOptions{.activation = "mish", .name = "d3"}));
  m->add(std::make_shared<Dense>(3, DenseOptions{.name = "logits"}));
  m->add(std::make_shared<Softmax>(-1, "probs"));
  m->initialize_weights(11);
  m->compile({.optimizer = make_optimizer("adam", 0.01),
              .loss = Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

TEST_F(Saving, ActivationLayersRegularizersAndConstraintsRoundTrip) {
  auto m = activations_model();
  train_a_little(*m);
  const Tensor want = m->predict(inputs()).clone();
  for (const char* file : {"a.keras", "a.h5", "a.json"}) {
    SCOPED_TRACE(file);
    save_model(*m, path(file));
    LoadedModel l = load_model(path(file));
    expect_same_weights(*m, *l.model);
    EXPECT_EQ(l.model->predict(inputs()).to_vector(), want.to_vector());
    auto architecture = [](std::string json) {  // the layers' configs, without compile_config
      const auto at = json.find(",\"compile_config\"");
      return json.substr(0, at == std::string::npos ? json.size() - 1 : at);
    };
    for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3})
      EXPECT_EQ(architecture(model_to_json(*l.model, style)),
                architecture(model_to_json(*m, style)));
    auto layers = l.model->layers();
    auto* d1 = dynamic_cast<Dense*>(layers[0].get());
    ASSERT_NE(d1, nullptr);
    EXPECT_FLOAT_EQ(d1->options().activity_regularizer.l2, 0.02f);
    EXPECT_EQ(d1->options().kernel_constraint.kind, Constraint::Kind::max_norm);
    EXPECT_EQ(d1->options().bias_constraint.kind, Constraint::Kind::non_neg);
    auto* prelu = dynamic_cast<PReLU*>(layers[1].get());
    ASSERT_NE(prelu, nullptr);
    EXPECT_FLOAT_EQ(prelu->options().alpha_constraint.rate, 0.5f);
    EXPECT_EQ(dynamic_cast<Dense*>(layers[2].get())->options().kernel_constraint.axis,
              (std::vector<int>{0, 1}));
    EXPECT_FLOAT_EQ(dynamic_cast<LeakyReLU*>(layers[3].get())->negative_slope(), 0.1f);
    EXPECT_EQ(layers[5]->class_name(), "ReLU");
    EXPECT_EQ(dynamic_cast<Activation*>(layers[5].get())->activation().relu_max_value, 3.0f);
  }
  // tf.keras 2 writes LeakyReLU's slope as alpha; both names are read.
  const std::string k2 = model_to_json(*m, ConfigStyle::keras2);
  EXPECT_NE(k2.find(R"("alpha":0.1)"), std::string::npos);
  EXPECT_NE(model_to_json(*m, ConfigStyle::keras3).find(R"("negative_slope":0.1)"),
            std::string::npos);
  // An activation with arguments has no activation-string form: saving refuses it.
  auto g = std::make_shared<Sequential>("g");
  g->add(std::make_shared<InputLayer>(Shape{2}));
  ActivationSpec approx = ActivationSpec::parse("gelu");
  approx.approximate = true;
  g->add(std::make_shared<Activation>(approx, "approx"));
  EXPECT_NE(error_of([&] {
              model_to_json(*g, ConfigStyle::keras3);
            }).find("activation 'gelu' with non-default arguments"),
            std::string::npos);
}

TEST_F(Saving, ReadsTfKeras2Configs) {
  // The shape tf.keras 2.x writes: no module keys, the input shape on the first layer.
  const std::string legacy = R"({"class_name": "Sequential", "config": {"name": "sequential",
    "layers": [{"class_name": "Dense", "config": {"name": "dense", "trainable": true,
    "batch_input_shape": [null, 784], "dtype": "float32", "units": 64, "activation": "relu",
    "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
    "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
    "bias_constraint": null}}, {"class_name": "Dense", "config": {"name": "dense_1", "units": 10,
    "activation": "softmax"}}]}, "keras_version": "2.10.0", "backend": "tensorflow"})";
  auto m = model_from_json(legacy, "model.json");
  EXPECT_EQ(m->input_shape(), (Shape{784}));
  EXPECT_EQ(m->count_params(), 784 * 64 + 64 + 64 * 10 + 10);
}

TEST_F(Saving, UnsupportedContentIsRefusedNamingClassAndPlace) {
  const std::string conv =
      R"({"module": "keras", "class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1]}},
    {"class_name": "Conv3D", "config": {"name": "conv3d", "filters": 8}}]}})";
  EXPECT_EQ(error_of([&] { model_from_json(conv, "model.json"); }),
            "model.json: layers[1]: layer class 'Conv3D' is not supported by Glia (supported: "
            "InputLayer, Dense, Activation, ELU, LeakyReLU, PReLU, ReLU, Softmax, Dropout, "
            "Flatten, Add, Concatenate, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, "
            "MaxPooling1D, AveragePooling1D, GlobalMaxPooling2D, GlobalAveragePooling2D, "
            "GlobalMaxPooling1D, GlobalAveragePooling1D, BatchNormalization, LayerNormalization, "
            "Reshape, "
            "Rescaling, ZeroPadding2D)");
  const std::string act = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}},
    {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "glu"}}]}})";
  EXPECT_NE(error_of([&] {
              model_from_json(act, "m.json");
            }).find("m.json: layers[1]: activation: activation 'glu' is not supported"),
            std::string::npos);
  const std::string constraint = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}},
    {"class_name": "Dense", "config": {"name": "d", "units": 2,
     "kernel_constraint": {"class_name": "RadialConstraint", "config": {}}}}]}})";
  EXPECT_NE(error_of([&] {
              model_from_json(constraint, "m.json");
            }).find("kernel_constraint: constraint 'RadialConstraint' is not supported"),
            std::string::npos);
  // Dropout's noise_shape (a mask shared along axes) is not implemented: refused, never an
  // element-wise mask in its place; null (Keras' default, what Glia writes) is accepted.
  const std::string noise = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}},
    {"class_name": "Dropout", "config": {"name": "dr", "rate": 0.5, "noise_shape": [null, 1]}}]}})";
  const std::string refused_noise = error_of([&] { model_from_json(noise, "m.json"); });
  EXPECT_NE(
      refused_noise.find("m.json: layers[1]: option 'noise_shape' = [null,1] is not supported"),
      std::string::npos)
      << refused_noise;
  std::string null_noise = noise;
  null_noise.replace(null_noise.find("[null, 1]"), 9, "null");
  EXPECT_NO_THROW(model_from_json(null_noise, "m.json"));
  auto m = mlp();
  const std::string nadam =
      R"({"optimizer": {"class_name": "Nadam", "config": {}}, "loss": "mse"})";
  // Compile configs are checked the same way (through a .keras config).
  std::string cfg = model_to_json(*m, ConfigStyle::keras3);
  const auto at = cfg.find("\"compile_config\"");
  ASSERT_NE(at, std::string::npos);
  cfg = cfg.substr(0, at) + "\"compile_config\": " + nadam + "}";
  EXPECT_NE(error_of([&] {
              load_model_from_memory(cfg, ModelFormat::json_pair, {}, "c.json");
            }).find("optimizer 'Nadam' is not supported"),
            std::string::npos);
}

TEST_F(Saving, MemoryBombsAndBadShapesAreErrors) {
  const std::string huge = R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 100000]}},
    {"class_name": "Dense", "config": {"name": "d", "units": 1000000000}}]}})";
  EXPECT_NE(error_of([&] { model_from_json(huge, "m.json"); }).find("parameters"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model_from_json("[1, 2", "m.json"); }).find("m.json: invalid JSON"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model_from_json(R"({"class_name": 3})", "m.json");
            }).find("'class_name' must be a string"),
            std::string::npos);
  // Weights of another shape: the h5 of a wider model does not load into a narrower one.
  auto a = mlp();
  save_weights(*a, path("w.h5"));
  auto b = std::make_shared<Sequential>("mlp");
  b->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  b->add(std::make_shared<Dense>(7, DenseOptions{.name = "hidden"}));
  b->add(std::make_shared<Dropout>(0.25f, std::nullopt, "drop"));
  b->add(std::make_shared<Dense>(4, DenseOptions{.name = "mid"}));
  b->add(std::make_shared<Dense>(3, DenseOptions{.name = "out"}));
  EXPECT_NE(error_of([&] {
              load_weights(*b, path("w.h5"));
            }).find("hidden/kernel:0: expected shape (6, 7), found (6, 5)"),
            std::string::npos);
}

TEST_F(Saving, DamagedFilesAreOneLineErrors) {
  auto m = mlp();
  save_model(*m, path("m.keras"));
  save_model(*m, path("m.h5"));
  for (const char* file : {"m.keras", "m.h5"}) {
    std::ifstream in(path(file), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t cut :
         {size_t{0}, size_t{10}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 7}) {
      const std::string name = std::string("cut-") + std::to_string(cut) + "-" + file;
      std::ofstream(path(name), std::ios::binary)
          .write(bytes.data(), static_cast<std::streamsize>(cut));
      const std::string e = error_of([&] { load_model(path(name)); });
      EXPECT_NE(e.find(name), std::string::npos) << e;
      EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    }
  }
  std::ofstream(path("text.h5")) << "not hdf5";
  EXPECT_NE(error_of([&] { load_model(path("text.h5")); }).find("not an HDF5 file"),
            std::string::npos);
  std::ofstream(path("text.keras")) << "not a zip";
  EXPECT_NE(error_of([&] { load_model(path("text.keras")); }).find("not a .keras archive"),
            std::string::npos);
}

TEST_F(Saving, VerifyCatchesAWrongLoad) {
  auto m = mlp();
  SaveOptions so;
  so.reference_input = inputs();
  save_model(*m, path("m.keras"), so);
  save_model(*m, path("m.json"), so);
  LoadOptions verify;
  verify.verify = true;
  EXPECT_TRUE(load_model(path("m.keras"), verify).verified);
  EXPECT_TRUE(load_model(path("m.json"), verify).verified);
  ASSERT_TRUE(load_model(path("m.keras")).reference.has_value());
  EXPECT_EQ(load_model(path("m.keras")).reference->input.dim(0), 8);
  // An edited architecture (tanh became sigmoid) still loads the weights, but not as saved.
  std::ifstream in(path("m.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("\"tanh\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 6, "\"sigmoid\"");
  std::ofstream(path("m.json"), std::ios::trunc) << text;
  EXPECT_NE(error_of([&] { load_model(path("m.json"), verify); }).find("verification failed"),
            std::string::npos);
  save_model(*m, path("plain.keras"));
  EXPECT_NE(error_of([&] { load_model(path("plain.keras"), verify); }).find("reference sample"),
            std::string::npos);
}

TEST_F(Saving, SavingIsAtomic) {
  auto m = mlp();
  save_model(*m, path("m.keras"));
  const auto before = fs::file_size(path("m.keras"));
  // A failing save (reference of the wrong shape) leaves the old file and no temporaries.
  SaveOptions bad;
  bad.reference_input = Tensor({2, 5});
  EXPECT_NE(error_of([&] { save_model(*m, path("m.keras"), bad); }).find("reference input"),
            std::string::npos);
  EXPECT_EQ(fs::file_size(path("m.keras")), before);
  EXPECT_NE(error_of([&] { save_model(*m, path("m.onnx")); }).find("expected .keras, .h5 or .json"),
            std::string::npos);
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1);
}

TEST_F(Saving, KerasThreeWeightFilesUseClassNamedContainers) {
  auto m = mlp();
  save_weights(*m, path("w.weights.h5"));
  auto copy = mlp();
  copy->initialize_weights(123);
  load_weights(*copy, path("w.weights.h5"));
  expect_same_weights(*m, *copy);
}

}  // namespace
}  // namespace glia

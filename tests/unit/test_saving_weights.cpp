// A model is never silently without its trained weights: a model.json finds the weights Keras
// writes beside it (Keras 3's STEM.weights.h5 / model.weights.h5, tf.keras 2.x's STEM.h5) or
// takes them explicitly, a config alone is refused unless training opts out, and a folder picks
// its model file or names the candidates.
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

class SavingWeights : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("saving_weights");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::trunc) << text;
  }
  fs::path dir_;
};

std::shared_ptr<Model> trained_mlp(uint64_t seed) {
  auto m = std::make_shared<Sequential>("mlp");
  m->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  m->add(std::make_shared<Dense>(5, DenseOptions{.activation = "relu", .name = "hidden"}));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  m->initialize_weights(seed);
  return m;
}

Tensor inputs() {
  Rng rng(9);
  return test::random_tensor(rng, {10, 6});
}

template <class F>
ErrorKind kind_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected a glia::Error";
  return ErrorKind::Internal;
}

// The bug: model.json + Keras 3's model.weights.h5 loaded with fresh random weights.
TEST_F(SavingWeights, AKeras3WeightsFileBesideTheConfigIsFound) {
  auto m = trained_mlp(11);
  write("model.json", model_to_json(*m, ConfigStyle::keras3));
  save_weights(*m, path("model.weights.h5"));
  LoadedModel l = load_model(path("model.json"));
  EXPECT_TRUE(l.has_weights);
  EXPECT_EQ(l.weights_path, path("model.weights.h5"));
  EXPECT_EQ(l.model->predict(inputs()).to_vector(), m->predict(inputs()).to_vector());
  // The folder finds the same pair, and the weights file names its config.
  EXPECT_EQ(load_model(dir_.string()).model->predict(inputs()).to_vector(),
            m->predict(inputs()).to_vector());
  EXPECT_EQ(load_model(path("model.weights.h5")).model->predict(inputs()).to_vector(),
            m->predict(inputs()).to_vector());
}

TEST_F(SavingWeights, StemNamedWeightsComeFirstInKerasOrder) {
  auto a = trained_mlp(1), b = trained_mlp(2);
  write("mnist.json", model_to_json(*a, ConfigStyle::keras2));
  EXPECT_EQ(weights_candidates(path("mnist.json")),
            (std::vector<std::string>{path("mnist.weights.h5"), path("model.weights.h5"),
                                      path("mnist.h5"), path("model.h5")}));
  save_weights(*b, path("mnist.h5"));  // tf.keras 2.x layout
  EXPECT_EQ(load_model(path("mnist.json")).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
  save_weights(*a, path("mnist.weights.h5"));  // Keras 3 layout wins
  EXPECT_EQ(load_model(path("mnist.json")).weights_path, path("mnist.weights.h5"));
  EXPECT_EQ(load_model(path("mnist.json")).model->predict(inputs()).to_vector(),
            a->predict(inputs()).to_vector());
  EXPECT_EQ(load_model(path("mnist.weights.h5")).model->predict(inputs()).to_vector(),
            a->predict(inputs()).to_vector());
}

TEST_F(SavingWeights, AConfigWithNoWeightsIsRefusedNamingWhereItLooked) {
  auto m = trained_mlp(3);
  write("net.json", model_to_json(*m, ConfigStyle::keras2));
  const std::string e = error_of([&] { load_model(path("net.json")); });
  for (const char* name : {"net.weights.h5", "model.weights.h5", "net.h5", "model.h5"})
    EXPECT_NE(e.find(name), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_EQ(kind_of([&] { load_model(path("net.json")); }), ErrorKind::NotFound);
  // From memory the same (the scoring service's path); training opts out explicitly.
  const std::string text = model_to_json(*m, ConfigStyle::keras2);
  EXPECT_EQ(kind_of([&] { load_model_from_memory(text, ModelFormat::json_pair); }),
            ErrorKind::NotFound);
  LoadOptions bare;
  bare.require_weights = false;
  LoadedModel l = load_model(path("net.json"), bare);
  EXPECT_FALSE(l.has_weights);
  EXPECT_TRUE(l.weights_path.empty());
  EXPECT_FALSE(load_model_from_memory(text, ModelFormat::json_pair, bare).has_weights);
}

// The bug: a copy of model.json under another name loaded model.h5, the weights of model.json.
TEST_F(SavingWeights, AnotherConfigNeverTakesTheWeightsOfModelJson) {
  auto a = trained_mlp(12);
  save_model(*a, path("model.json"));  // model.json + model.h5, as glia train writes them
  write("untrained.json", model_to_json(*a, ConfigStyle::keras2));
  EXPECT_EQ(weights_candidates(path("untrained.json")),
            (std::vector<std::string>{path("untrained.weights.h5"), path("untrained.h5")}));
  const std::string e = error_of([&] { load_model(path("untrained.json")); });
  EXPECT_NE(e.find("untrained.weights.h5, untrained.h5 beside it"), std::string::npos) << e;
  EXPECT_NE(e.find("model.h5 there belongs to model.json"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(kind_of([&] { load_model(path("untrained.json")); }), ErrorKind::NotFound);
  // Training from it draws new weights rather than taking model.h5.
  LoadOptions bare;
  bare.require_weights = false;
  EXPECT_FALSE(load_model(path("untrained.json"), bare).has_weights);
  // model.json keeps its own; untrained.json takes weights under its own name, or given.
  EXPECT_EQ(load_model(path("model.json")).weights_path, path("model.h5"));
  LoadOptions given;
  given.weights = path("model.h5");
  EXPECT_EQ(load_model(path("untrained.json"), given).model->predict(inputs()).to_vector(),
            a->predict(inputs()).to_vector());
  auto b = trained_mlp(13);
  save_weights(*b, path("untrained.h5"));
  EXPECT_EQ(load_model(path("untrained.json")).weights_path, path("untrained.h5"));
  EXPECT_EQ(load_model(path("untrained.json")).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
}

TEST_F(SavingWeights, ModelWeightsBelongToModelKerasOrToAConfigAlone) {
  auto a = trained_mlp(14), b = trained_mlp(15);
  write("net.json", model_to_json(*b, ConfigStyle::keras3));
  save_weights(*b, path("model.weights.h5"));
  // A config alone with model.weights.h5: Keras 3's pair under another config name, found.
  EXPECT_EQ(load_model(path("net.json")).weights_path, path("model.weights.h5"));
  // With model.keras beside it, model.* are that model's files: net.json is refused.
  save_model(*a, path("model.keras"));
  EXPECT_EQ(weights_candidates(path("net.json")),
            (std::vector<std::string>{path("net.weights.h5"), path("net.h5")}));
  const std::string e = error_of([&] { load_model(path("net.json")); });
  EXPECT_NE(e.find("model.weights.h5 there belongs to model.keras"), std::string::npos) << e;
  EXPECT_EQ(kind_of([&] { load_model(path("net.json")); }), ErrorKind::NotFound);
  // model.json itself always looks for the model.* names.
  write("model.json", model_to_json(*b, ConfigStyle::keras3));
  EXPECT_EQ(load_model(path("model.json")).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
}

TEST_F(SavingWeights, TwoConfigsShareNoModelWeights) {
  // Regression (second review): with a.json and b.json beside model.weights.h5 and no
  // model.json, both took it; now neither does, and the refusal says why.
  auto b = trained_mlp(16);
  write("a.json", model_to_json(*b, ConfigStyle::keras3));
  write("b.json", model_to_json(*b, ConfigStyle::keras3));
  save_weights(*b, path("model.weights.h5"));
  EXPECT_EQ(weights_candidates(path("a.json")),
            (std::vector<std::string>{path("a.weights.h5"), path("a.h5")}));
  EXPECT_EQ(kind_of([&] { load_model(path("a.json")); }), ErrorKind::NotFound);
  const std::string e = error_of([&] { load_model(path("a.json")); });
  EXPECT_NE(e.find("another config here (b.json)"), std::string::npos) << e;
}

TEST_F(SavingWeights, ExplicitWeightsAreUsedOrRefused) {
  auto a = trained_mlp(4), b = trained_mlp(5);
  write("model.json", model_to_json(*a, ConfigStyle::keras2));
  save_weights(*a, path("model.h5"));
  save_weights(*b, path("other.weights.h5"));
  save_model(*b, path("full.h5"));
  LoadOptions o;
  o.weights = path("other.weights.h5");  // instead of model.h5 beside it
  EXPECT_EQ(load_model(path("model.json"), o).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
  o.weights = path("full.h5");  // a full-model .h5's model_weights, as Keras' load_weights
  EXPECT_EQ(load_model(path("model.json"), o).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
  o.weights = path("missing.h5");
  EXPECT_EQ(kind_of([&] { load_model(path("model.json"), o); }), ErrorKind::NotFound);
  // A file that holds its own weights: --weights would be ignored, so it is refused.
  o.weights = path("other.weights.h5");
  save_model(*a, path("a.keras"));
  EXPECT_NE(error_of([&] { load_model(path("a.keras"), o); }).find("holds its own weights"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_model(path("full.h5"), o); }).find("holds its own weights"),
            std::string::npos);
  EXPECT_THROW(load_model_from_memory(model_to_json(*a), ModelFormat::json_pair, o), Error);
}

TEST_F(SavingWeights, AFolderPicksItsModelOrNamesTheCandidates) {
  auto a = trained_mlp(6), b = trained_mlp(7);
  // What glia train writes: model.json + model.h5 + model.keras, one model.
  save_model(*a, path("model.json"));
  save_model(*a, path("model.keras"));
  EXPECT_EQ(model_file_in(dir_.string()), path("model.keras"));
  // Another model beside it is ambiguous: both are named.
  save_model(*b, path("b.keras"));
  const std::string e = error_of([&] { load_model(dir_.string()); });
  EXPECT_NE(e.find("b.keras"), std::string::npos) << e;
  EXPECT_NE(e.find("model.keras"), std::string::npos) << e;
  EXPECT_NE(e.find("model.json"), std::string::npos) << e;
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  // One Keras 3 pair under any name: the config with its weights.
  write("mnist.json", model_to_json(*b, ConfigStyle::keras3));
  save_weights(*b, path("mnist.weights.h5"));
  EXPECT_EQ(model_file_in(dir_.string()), path("mnist.json"));
  EXPECT_EQ(load_model(dir_.string()).model->predict(inputs()).to_vector(),
            b->predict(inputs()).to_vector());
  fs::remove(path("mnist.weights.h5"));  // a config alone is still refused
  EXPECT_EQ(kind_of([&] { load_model(dir_.string()); }), ErrorKind::NotFound);
  fs::remove(path("mnist.json"));
  EXPECT_EQ(kind_of([&] { load_model(dir_.string()); }), ErrorKind::NotFound);
}

}  // namespace
}  // namespace glia

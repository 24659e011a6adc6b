// Keras' load_weights options (partial loads for transfer learning): skip_mismatch leaves a
// layer whose weights differ in count or shape as it is; by_name (tf.keras 2.x layout only)
// pairs layers by name and leaves the others alone; a .keras archive's weights load too; and a
// load that fails part way changes no weight.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "error_of.hpp"
#include "glia/glia.hpp"
#include "glia/optimizers.hpp"
#include "glia/saving.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

class LoadWeightsOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("load_weights_options");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// in(6) -> "base" Dense(width) -> [extra Dense(width)] -> head Dense(classes); random biases,
// so a bias that loaded differs from one that did not.
std::shared_ptr<Model> mlp(uint64_t seed, int64_t classes, const std::string& head = "head",
                           bool extra = false, int64_t width = 5) {
  auto dense = [](int64_t units, const std::string& name, const std::string& activation) {
    DenseOptions o;
    o.activation = activation;
    o.bias_initializer = InitializerSpec{"random_normal"};
    o.name = name;
    return std::make_shared<Dense>(units, o);
  };
  auto m = std::make_shared<Sequential>("mlp");
  m->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  m->add(dense(width, "base", "relu"));
  if (extra) m->add(dense(width, "extra", "linear"));
  m->add(dense(classes, head, "linear"));
  m->initialize_weights(seed);
  return m;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<Tensor> snapshot(Model& m) {
  std::vector<Tensor> out;
  for (Variable* v : m.weights()) out.push_back(v->value.clone());
  return out;
}

TEST_F(LoadWeightsOptionsTest, SkipMismatchLeavesTheMismatchedLayerAndAFailedLoadChangesNothing) {
  auto source = mlp(1, 3);
  for (const char* file : {"w.weights.h5", "w.h5", "m.keras"}) {
    SCOPED_TRACE(file);
    if (std::string(file) == "m.keras")
      save_model(*source, path(file));
    else
      save_weights(*source, path(file));
    auto target = mlp(2, 4);  // the head has 4 classes: its weights do not fit
    const auto before = snapshot(*target);
    const std::string e = error_of([&] { load_weights(*target, path(file)); });
    EXPECT_NE(e.find("expected shape (5, 4), found (5, 3) (layer 'head')"), std::string::npos) << e;
    const auto after = snapshot(*target);
    for (size_t i = 0; i < before.size(); ++i)  // all or nothing: "base" was not loaded either
      EXPECT_TRUE(same(after[i], before[i])) << i;

    const auto skipped = load_weights(*target, path(file), {.skip_mismatch = true});
    EXPECT_EQ(skipped, std::vector<std::string>{"head"});
    EXPECT_TRUE(same(target->weights()[0]->value, source->weights()[0]->value));
    EXPECT_TRUE(same(target->weights()[1]->value, source->weights()[1]->value));
    EXPECT_TRUE(same(target->weights()[2]->value, before[2]));
  }
}

TEST_F(LoadWeightsOptionsTest, ByNameTakesTheNamesakesOfTheLegacyLayout) {
  auto source = mlp(1, 3);
  save_weights(*source, path("w.h5"));
  // Another head and an extra layer: three layers with weights against the file's two.
  auto target = mlp(2, 3, "new_head", true);
  const auto before = snapshot(*target);
  const std::string e = error_of([&] { load_weights(*target, path("w.h5")); });
  EXPECT_NE(e.find("the file has weights for 2 layers, the model has 3"), std::string::npos) << e;
  const auto skipped = load_weights(*target, path("w.h5"), {.by_name = true});
  EXPECT_EQ(skipped, (std::vector<std::string>{"extra", "new_head"}));
  EXPECT_TRUE(same(target->weights()[0]->value, source->weights()[0]->value));
  for (size_t i = 2; i < before.size(); ++i)
    EXPECT_TRUE(same(target->weights()[i]->value, before[i])) << i;
  // A namesake whose shapes differ: an error, or skipped with skip_mismatch.
  auto wider = mlp(3, 7);
  EXPECT_NE(error_of([&] {
              load_weights(*wider, path("w.h5"), {.by_name = true});
            }).find("expected shape (5, 7), found (5, 3) (layer 'head')"),
            std::string::npos);
  EXPECT_EQ(load_weights(*wider, path("w.h5"), {.skip_mismatch = true, .by_name = true}),
            std::vector<std::string>{"head"});
  EXPECT_TRUE(same(wider->weights()[0]->value, source->weights()[0]->value));
}

TEST_F(LoadWeightsOptionsTest, ByNameIsRefusedForTheKeras3Layout) {
  auto source = mlp(1, 3);
  save_weights(*source, path("w.weights.h5"));
  auto target = mlp(2, 3);
  const std::string e =
      error_of([&] { load_weights(*target, path("w.weights.h5"), {.by_name = true}); });
  EXPECT_NE(e.find("by_name applies only to the tf.keras 2.x layout"), std::string::npos) << e;
}

// Keras' legacy rules: a shape mismatch skips that weight only (the others of the layer load);
// a count mismatch is an error even with skip_mismatch, unless by_name, where a weightless
// namesake counts too.
TEST_F(LoadWeightsOptionsTest, TheLegacyLayoutsRulesAreKeras) {
  auto source = mlp(1, 3);
  save_weights(*source, path("w.h5"));
  auto wide = mlp(2, 3, "head", false, 7);  // base 6 -> 7: the head's kernel is (7, 3)
  const auto before = snapshot(*wide);
  EXPECT_EQ(load_weights(*wide, path("w.h5"), {.skip_mismatch = true}),
            (std::vector<std::string>{"base", "head"}));
  EXPECT_TRUE(same(wide->weights()[2]->value, before[2]));                    // head kernel
  EXPECT_TRUE(same(wide->weights()[3]->value, source->weights()[3]->value));  // head bias

  auto no_bias = std::make_shared<Sequential>(std::vector<LayerPtr>{
      std::make_shared<InputLayer>(Shape{6}, "in"),
      std::make_shared<Dense>(5, DenseOptions{.name = "base"}),
      std::make_shared<Dense>(3, DenseOptions{.use_bias = false, .name = "head"})});
  EXPECT_NE(error_of([&] {
              load_weights(*no_bias, path("w.h5"), {.skip_mismatch = true});
            }).find("'head' expects 1 weights, the file has 2"),
            std::string::npos);

  auto dropout_head = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<InputLayer>(Shape{6}, "in"),
                            std::make_shared<Dense>(5, DenseOptions{.name = "base"}),
                            std::make_shared<Dropout>(0.5f, std::nullopt, "head")});
  EXPECT_NE(error_of([&] {
              load_weights(*dropout_head, path("w.h5"), {.by_name = true});
            }).find("'head' expects 0 weights, the file has 2"),
            std::string::npos);
  EXPECT_EQ(load_weights(*dropout_head, path("w.h5"), {.skip_mismatch = true, .by_name = true}),
            std::vector<std::string>{"head"});
  EXPECT_TRUE(same(dropout_head->weights()[0]->value, source->weights()[0]->value));
}

// A Keras 3 file that names its layers pairs by name only when it names all of ours; else by
// container, as Keras always does (no container serves two layers).
TEST_F(LoadWeightsOptionsTest, AKeras3FileNamingOtherLayersPairsByContainer) {
  // in(5) -> Dense(5) named `first` -> Dense(5) named `second`.
  auto pair = [](const std::string& first, const std::string& second, uint64_t seed) {
    auto m = std::make_shared<Sequential>(
        std::vector<LayerPtr>{std::make_shared<InputLayer>(Shape{5}, "in"),
                              std::make_shared<Dense>(5, DenseOptions{.name = first}),
                              std::make_shared<Dense>(5, DenseOptions{.name = second})});
    m->initialize_weights(seed);
    return m;
  };
  auto source = pair("a", "b", 1);
  save_weights(*source, path("w.weights.h5"));
  auto target = pair("b", "c", 2);
  EXPECT_TRUE(load_weights(*target, path("w.weights.h5")).empty());
  EXPECT_TRUE(same(target->weights()[0]->value, source->weights()[0]->value));  // b <- a
  EXPECT_TRUE(same(target->weights()[2]->value, source->weights()[2]->value));  // c <- b
}

// Keras' load_weights restores a built optimizer's state from a Keras 3 file too.
TEST_F(LoadWeightsOptionsTest, AKerasFileRestoresABuiltOptimizer) {
  auto make = [](uint64_t seed) {
    auto m = mlp(seed, 3);
    CompileOptions c;
    c.optimizer = std::make_shared<Adam>();
    c.loss = Loss::parse("mean_squared_error");
    m->compile(c);
    Tensor x{Shape{8, 6}}, y{Shape{8, 3}};
    Rng rng(seed);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    FitOptions o;
    o.batch_size = 4;
    o.epochs = static_cast<int>(seed);
    o.verbose = 0;
    m->fit(x, y, o);
    return m;
  };
  auto source = make(2);  // 2 epochs: 4 steps
  save_model(*source, path("m.keras"));
  auto target = make(1);  // built, 2 steps
  load_weights(*target, path("m.keras"));
  EXPECT_EQ(target->optimizer().iterations(), 4);
  EXPECT_TRUE(same(*target->optimizer().slots(0)[0], *source->optimizer().slots(0)[0]));
}

}  // namespace
}  // namespace glia

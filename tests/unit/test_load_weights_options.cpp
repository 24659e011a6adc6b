// Keras' load_weights options (partial loads for transfer learning): skip_mismatch leaves a
// layer whose weights differ in count or shape as it is; by_name (tf.keras 2.x layout only)
// pairs layers by name and leaves the others alone; a .keras archive's weights load too; and a
// load that fails part way changes no weight.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "error_of.hpp"
#include "glia/glia.hpp"
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

// in(6) -> "base" Dense(5) -> [extra Dense(5)] -> head Dense(classes).
std::shared_ptr<Model> mlp(uint64_t seed, int64_t classes, const std::string& head = "head",
                           bool extra = false) {
  auto m = std::make_shared<Sequential>("mlp");
  m->add(std::make_shared<InputLayer>(Shape{6}, "in"));
  m->add(std::make_shared<Dense>(5, DenseOptions{.activation = "relu", .name = "base"}));
  if (extra) m->add(std::make_shared<Dense>(5, DenseOptions{.name = "extra"}));
  m->add(std::make_shared<Dense>(classes, DenseOptions{.name = head}));
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
    EXPECT_NE(e.find("'head' expects"), std::string::npos) << e;
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
            }).find("'head' expects (5, 7)"),
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

}  // namespace
}  // namespace glia

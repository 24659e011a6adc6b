// Frozen layers (Keras' layer.trainable = False): fit leaves their weights and, for
// BatchNormalization, their moving statistics alone and normalizes with the moving statistics;
// their penalties leave the loss and their constraints are not applied; gradients still pass
// through them to the layers below, and a frozen part with nothing trainable below it gets no
// backward at all; an optimizer refuses a changed set of variables; configs and files keep the
// flag.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "backends/reference_backend.hpp"
#include "error_of.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "glia/saving.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

// A Dense that counts its backward calls.
class SpyDense : public Dense {
 public:
  using Dense::Dense;
  int backwards = 0;
  bool got_dinput = false;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override {
    ++backwards;
    got_dinput = !dinputs.empty() && dinputs[0] != nullptr;
    Dense::backward(ctx, inputs, output, dout, dinputs);
  }
};

struct Data {
  Tensor x{Shape{24, 6}}, y{Shape{24, 3}};
  Data() {
    Rng rng(5);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    for (int64_t i = 0; i < 24; ++i) y.data()[i * 3 + static_cast<int64_t>(rng.below(3))] = 1.0f;
  }
};

struct Net {
  std::shared_ptr<Model> model;
  std::shared_ptr<SpyDense> first, middle, last;
  std::shared_ptr<BatchNormalization> bn;
};

// Input(6) -> SpyDense(8) -> BatchNormalization -> ReLU -> SpyDense(5, tanh) -> SpyDense(3,
// softmax). The first Dense has an L2 penalty and a non-negativity constraint its initial
// weights break, so a fit that applied either to a frozen layer would change it.
Net make_net() {
  Net n;
  DenseOptions first{.kernel_regularizer = {0.0f, 0.5f},
                     .kernel_constraint = Constraint::non_neg()};
  n.first = std::make_shared<SpyDense>(8, first);
  n.bn = std::make_shared<BatchNormalization>();
  n.middle = std::make_shared<SpyDense>(5, DenseOptions{.activation = "tanh"});
  n.last = std::make_shared<SpyDense>(3, DenseOptions{.activation = "softmax"});
  KerasTensor in = Input({6});
  KerasTensor h = (*n.first)(in);
  h = (*std::make_shared<ReLU>())((*n.bn)(h));
  h = (*n.last)((*n.middle)(h));
  n.model = std::make_shared<Model>(in, h, "frozen");
  n.model->initialize_weights(11);
  // Moving statistics away from their initial values, so "left alone" is visible.
  n.bn->moving_mean().value.copy_from(Tensor::from({8}, {0.1f, -0.2f, 0.3f, 0, 0.5f, 1, -1, 2}));
  n.bn->moving_variance().value.copy_from(Tensor::from({8}, {1, 2, 0.5f, 3, 1, 0.25f, 4, 1}));
  CompileOptions c;
  c.optimizer = std::make_shared<Adam>(OptimizerOptions{0.05});
  c.loss = Loss::parse("categorical_crossentropy");
  n.model->compile(c);
  return n;
}

FitOptions quiet(int epochs = 2) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 8;
  o.verbose = 0;
  return o;
}

std::vector<Tensor> values(const std::vector<Variable*>& vars) {
  std::vector<Tensor> out;
  for (Variable* v : vars) out.push_back(v->value.clone());
  return out;
}

bool same(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a.data()[i], &b.data()[i], sizeof(float)) != 0) return false;
  return true;
}

TEST(FrozenLayers, FitLeavesFrozenWeightsAloneAndTrainsTheRest) {
  for (const char* backend : {"cpu", "reference"}) {
    SCOPED_TRACE(backend);
    Net n = make_net();
    if (std::string(backend) == "reference")
      n.model->set_backend(std::make_shared<ReferenceBackend>());
    n.first->set_trainable(false);
    n.bn->set_trainable(false);
    const auto frozen = values(n.first->weights()), bn = values(n.bn->weights());
    const auto middle = values(n.middle->weights());
    n.model->fit(Data().x, Data().y, quiet());
    for (size_t i = 0; i < frozen.size(); ++i)
      EXPECT_TRUE(same(n.first->weights()[i]->value, frozen[i])) << i;
    for (size_t i = 0; i < bn.size(); ++i)  // gamma, beta and the moving statistics
      EXPECT_TRUE(same(n.bn->weights()[i]->value, bn[i])) << n.bn->weights()[i]->name;
    EXPECT_FALSE(same(n.middle->weights()[0]->value, middle[0]));
    // Gradients flow through the frozen batch norm to nothing trainable: no backward below it.
    EXPECT_EQ(n.first->backwards, 0);
    EXPECT_GT(n.middle->backwards, 0);
    EXPECT_FALSE(n.middle->got_dinput);  // nothing below the middle Dense needs a gradient
  }
}

TEST(FrozenLayers, KerasListsOfWeightsAndTheSummary) {
  Net n = make_net();
  EXPECT_EQ(n.model->variables().size(), 8u);  // 3 Dense x 2 + gamma, beta
  n.first->set_trainable(false);
  n.bn->set_trainable(false);
  EXPECT_FALSE(n.first->trainable());
  EXPECT_TRUE(n.first->trainable_weights().empty());
  EXPECT_EQ(n.first->non_trainable_weights().size(), 2u);
  EXPECT_EQ(n.bn->non_trainable_weights().size(), 4u);
  EXPECT_EQ(n.model->variables().size(), 4u);
  EXPECT_EQ(n.model->non_trainable_variables().size(), 6u);
  EXPECT_EQ(n.model->weights().size(), 10u);  // the file order is unchanged
  EXPECT_EQ(n.model->weights()[0]->name, n.first->name() + "/kernel");
  // 6*8+8 (first) + 4*8 (batch norm) frozen.
  EXPECT_EQ(n.model->count_non_trainable_params(), 88);
  const std::string summary = n.model->summary();
  EXPECT_NE(summary.find("Non-trainable params: 88 "), std::string::npos) << summary;
  n.model->set_trainable(false);
  EXPECT_TRUE(n.model->variables().empty());
  EXPECT_EQ(n.model->count_non_trainable_params(), n.model->count_params());
}

TEST(FrozenLayers, AFrozenLayerInTheMiddlePassesGradientsDown) {
  Net n = make_net();
  n.middle->set_trainable(false);
  const auto middle = values(n.middle->weights()), first = values(n.first->weights());
  n.model->fit(Data().x, Data().y, quiet());
  EXPECT_GT(n.middle->backwards, 0);
  EXPECT_TRUE(n.middle->got_dinput);
  for (size_t i = 0; i < middle.size(); ++i)
    EXPECT_TRUE(same(n.middle->weights()[i]->value, middle[i]));
  EXPECT_FALSE(same(n.first->weights()[0]->value, first[0]));
  EXPECT_FALSE(n.middle->weights()[0]->grad.defined());  // never computed
}

// A frozen batch norm in training is the inference function: output and input gradient.
TEST(FrozenLayers, FrozenBatchNormNormalizesWithTheMovingStatistics) {
  for (const auto& [backend, relu] :
       {std::pair{"cpu", false}, std::pair{"cpu", true}, std::pair{"reference", false},
        std::pair{"reference", true}}) {
    SCOPED_TRACE(std::string(backend) + (relu ? ", fused relu" : ", alone"));
    BatchNormOptions o;
    o.epsilon = 0.01f;
    auto bn = std::make_shared<BatchNormalization>(o);
    Rng rng(3);
    bn->ensure_built({{4}}, rng);
    bn->gamma().value.copy_from(Tensor::from({4}, {0.5f, 1.5f, -2, 1}));
    bn->beta().value.copy_from(Tensor::from({4}, {0.1f, 0, -0.3f, 0.2f}));
    bn->moving_mean().value.copy_from(Tensor::from({4}, {0.2f, -1, 0, 0.5f}));
    bn->moving_variance().value.copy_from(Tensor::from({4}, {1, 4, 0.25f, 2}));
    bn->set_trainable(false);
    Tensor x{Shape{5, 4}};
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    const std::shared_ptr<Backend> owned = get_backend(backend);
    Backend& be = *owned;
    const Tensor* ins[] = {&x};
    Tensor infer, train;
    ForwardContext ictx{be, false};
    ictx.relu_fused = relu;
    bn->forward(ictx, ins, infer);
    ForwardContext tctx{be, true};
    tctx.relu_fused = relu;
    bn->forward(tctx, ins, train);
    EXPECT_TRUE(same(infer, train));
    EXPECT_EQ(bn->moving_mean().value[1], -1.0f);  // not moved
    Tensor dout{Shape{5, 4}}, dx;
    for (int64_t i = 0; i < dout.size(); ++i) dout.data()[i] = static_cast<float>(rng.normal());
    const Tensor dy = dout.clone();
    Tensor* dins[] = {&dx};
    BackwardContext bctx{be};
    bn->backward(bctx, ins, train, dout, dins);
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t c = 0; c < 4; ++c) {
        const double scale =
            bn->gamma().value[c] / std::sqrt(bn->moving_variance().value[c] + 0.01);
        const double mask = relu && train[r * 4 + c] <= 0.0f ? 0.0 : 1.0;
        EXPECT_NEAR(dx[r * 4 + c], dy[r * 4 + c] * scale * mask, 1e-5) << r << "," << c;
      }
    EXPECT_FALSE(bn->gamma().grad.defined());
  }
}

TEST(FrozenLayers, PenaltiesOfFrozenWeightsLeaveTheLoss) {
  Net n = make_net();
  const Data d;
  const double with = n.model->evaluate(d.x, d.y, {8, 0}).at("loss");
  n.first->set_trainable(false);
  const double without = n.model->evaluate(d.x, d.y, {8, 0}).at("loss");
  const Tensor& k = n.first->weights()[0]->value;
  double l2 = 0;
  for (int64_t i = 0; i < k.size(); ++i) l2 += 0.5 * k[i] * k[i];
  EXPECT_NEAR(with - without, l2, 1e-4 * l2);
}

TEST(FrozenLayers, AnOptimizerRefusesAChangedSetOfVariables) {
  Net n = make_net();
  const Data d;
  n.model->fit(d.x, d.y, quiet(1));
  n.first->set_trainable(false);
  const std::string e = error_of([&] { n.model->fit(d.x, d.y, quiet(1)); });
  EXPECT_NE(e.find("compile() again with a new optimizer"), std::string::npos) << e;
  CompileOptions c;
  c.optimizer = std::make_shared<Adam>(OptimizerOptions{0.05});
  c.loss = Loss::parse("categorical_crossentropy");
  n.model->compile(c);
  const auto frozen = values(n.first->weights());
  n.model->fit(d.x, d.y, quiet(1));
  EXPECT_TRUE(same(n.first->weights()[0]->value, frozen[0]));
}

// A callback that freezes a layer when an epoch begins.
class FreezeAt : public Callback {
 public:
  FreezeAt(LayerPtr layer, int epoch) : layer_(std::move(layer)), epoch_(epoch) {}
  void on_epoch_begin(int epoch, const Logs&) override {
    if (epoch == epoch_) layer_->set_trainable(false);
  }

 private:
  LayerPtr layer_;
  int epoch_;
};

TEST(FrozenLayers, AFlagChangedDuringFitIsRefused) {
  Net n = make_net();
  FitOptions o = quiet(3);
  o.callbacks = {std::make_shared<FreezeAt>(n.middle, 1)};
  const std::string e = error_of([&] { n.model->fit(Data().x, Data().y, o); });
  EXPECT_NE(e.find("'" + n.middle->name() + "' was frozen during fit"), std::string::npos) << e;
}

// A layer without weights changes nothing when its flag flips: not an error.
TEST(FrozenLayers, AWeightlessLayersFlagMayChangeDuringFit) {
  Net n = make_net();
  FitOptions o = quiet(3);
  o.callbacks = {std::make_shared<FreezeAt>(n.model->layers()[2], 1)};  // the ReLU
  EXPECT_NO_THROW(n.model->fit(Data().x, Data().y, o));
}

// An optimizer trained on a destroyed model's variables is refused when saving (its variable
// pointers are compared, never followed), and a compiled model that never trained saves
// without building its optimizer, so freezing afterwards still works.
TEST(FrozenLayers, SavingChecksWhoseStateTheOptimizerHolds) {
  const fs::path dir = testing_util::fresh_test_dir("frozen_optimizer");
  fs::create_directories(dir);
  auto opt = std::make_shared<Adam>(OptimizerOptions{0.05});
  {
    Net a = make_net();
    CompileOptions c;
    c.optimizer = opt;
    c.loss = Loss::parse("categorical_crossentropy");
    a.model->compile(c);
    a.model->fit(Data().x, Data().y, quiet(1));
  }
  Net b = make_net();
  CompileOptions c;
  c.optimizer = opt;
  c.loss = Loss::parse("categorical_crossentropy");
  b.model->compile(c);
  EXPECT_NE(error_of([&] {
              save_model(*b.model, (dir / "b.h5").string());
            }).find("belongs to another model's variables"),
            std::string::npos);
  Net fresh = make_net();
  save_model(*fresh.model, (dir / "fresh.keras").string());
  EXPECT_FALSE(fresh.model->optimizer().slots_built());
  // Only the iteration and the rate are stored: nothing is left out, nothing to note.
  LoadedModel back = load_model((dir / "fresh.keras").string());
  EXPECT_FALSE(back.has_optimizer_state);
  EXPECT_EQ(back.optimizer_state_skipped, "");
  fresh.first->set_trainable(false);
  EXPECT_NO_THROW(fresh.model->fit(Data().x, Data().y, quiet(1)));
  fs::remove_all(dir);
}

TEST(FrozenLayers, NothingTrainableCountsNoSteps) {
  Net n = make_net();
  n.model->set_trainable(false);
  const auto before = values(n.model->weights());
  n.model->fit(Data().x, Data().y, quiet());
  EXPECT_EQ(n.model->optimizer().iterations(), 0);  // Keras skips the step too
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(same(n.model->weights()[i]->value, before[i])) << i;
}

// Keras saves a model frozen after it trained without compiling again, and loads it with a
// fresh optimizer: the state in the file is for other variables.
TEST(FrozenLayers, SavingAfterFreezingKeepsTheOptimizersStateAndLoadingStartsFresh) {
  Net n = make_net();
  const Data d;
  n.model->fit(d.x, d.y, quiet(1));
  n.first->set_trainable(false);
  const fs::path dir = testing_util::fresh_test_dir("frozen_after");
  fs::create_directories(dir);
  for (const char* file : {"m.keras", "m.h5"}) {
    SCOPED_TRACE(file);
    const std::string path = (dir / file).string();
    ASSERT_NO_THROW(save_model(*n.model, path));
    LoadedModel back = load_model(path);
    EXPECT_FALSE(back.model->layers()[0]->trainable());
    EXPECT_FALSE(back.has_optimizer_state);  // 6 trainable variables now, 8 in the state
    // Said, not silent (Keras warns): the counts and the optimizer.
    EXPECT_NE(back.optimizer_state_skipped.find("Adam needs"), std::string::npos)
        << back.optimizer_state_skipped;
    back.model->fit(d.x, d.y, quiet(1));
    EXPECT_TRUE(same(back.model->weights()[0]->value, n.first->weights()[0]->value));
  }
  fs::remove_all(dir);
}

TEST(FrozenLayers, ConfigsAndFilesKeepTheFlag) {
  Net n = make_net();
  n.first->set_trainable(false);
  n.bn->set_trainable(false);
  for (ConfigStyle style : {ConfigStyle::keras3, ConfigStyle::keras2}) {
    auto back = model_from_json(model_to_json(*n.model, style));
    std::vector<bool> flags;
    for (const LayerPtr& l : back->layers()) flags.push_back(l->trainable());
    EXPECT_EQ(flags, (std::vector<bool>{false, false, true, true, true}));
  }
  const fs::path dir = testing_util::fresh_test_dir("frozen_formats");
  fs::create_directories(dir);
  for (const char* file : {"m.keras", "m.h5", "m.json"}) {
    SCOPED_TRACE(file);
    save_model(*n.model, (dir / file).string());
    LoadedModel back = load_model((dir / file).string());
    EXPECT_FALSE(back.model->layers()[0]->trainable());
    EXPECT_FALSE(back.model->layers()[1]->trainable());
    EXPECT_TRUE(back.model->layers()[3]->trainable());
    EXPECT_EQ(back.model->count_non_trainable_params(), 88);
  }
  fs::remove_all(dir);
}

TEST(FrozenLayers, ModelLevelFlagAndBadValues) {
  auto config = [](const std::string& model_flag, const std::string& layer_flag) {
    return R"({"class_name": "Functional", "config": {"name": "f")" + model_flag +
           R"(, "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"batch_shape": [null, 3], "name": "in"},
       "inbound_nodes": []},
      {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2)" +
           layer_flag + R"(}, "inbound_nodes": [[["in", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})";
  };
  EXPECT_TRUE(model_from_json(config("", ""))->layers()[0]->trainable());
  EXPECT_FALSE(model_from_json(config("", R"(, "trainable": false)"))->layers()[0]->trainable());
  // Keras' model.trainable = False freezes every layer.
  EXPECT_FALSE(model_from_json(config(R"(, "trainable": false)", ""))->layers()[0]->trainable());
  EXPECT_TRUE(model_from_json(config(R"(, "trainable": true)", ""))->layers()[0]->trainable());
  for (const auto& [m, l] : {std::pair<std::string, std::string>{"", R"(, "trainable": "no")"},
                             {R"(, "trainable": 0)", ""}}) {
    try {
      model_from_json(config(m, l));
      ADD_FAILURE() << "accepted " << m << l;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      const std::string what = e.what();
      EXPECT_NE(what.find("trainable"), std::string::npos) << what;
      EXPECT_NE(what.find("expected true or false"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace glia

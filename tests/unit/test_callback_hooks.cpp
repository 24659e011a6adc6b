// Which hooks fit() calls (Keras' order): on_train_batch_begin/end around every batch, and
// on_test_begin/end around the validation after each epoch; and that a fit whose callbacks have
// no batch hooks (implements_train_batch_hooks) trains exactly as one whose callbacks have them.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "glia/callbacks.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"

namespace glia {
namespace {

std::unique_ptr<Sequential> model() {
  auto m = std::make_unique<Sequential>(
      std::vector<LayerPtr>{std::make_shared<InputLayer>(Shape{3}), std::make_shared<Dense>(2)});
  m->initialize_weights(4);
  CompileOptions options;
  options.optimizer = std::make_shared<RMSprop>();
  options.loss = Loss::parse("mse");
  m->compile(options);
  return m;
}

struct Recorder : Callback {
  std::vector<std::string> calls;
  bool hooks = true;
  void on_epoch_begin(int e, const Logs&) override { calls.push_back("epoch_begin " + k(e)); }
  void on_epoch_end(int e, const Logs&) override { calls.push_back("epoch_end " + k(e)); }
  void on_train_batch_begin(int64_t b, const Logs&) override {
    calls.push_back("batch_begin " + k(b));
  }
  void on_train_batch_end(int64_t b, const Logs& l) override {
    calls.push_back("batch_end " + k(b) + (l.count("loss") ? " loss" : ""));
  }
  void on_test_begin(const Logs&) override { calls.push_back("test_begin"); }
  void on_test_end(const Logs& l) override {
    calls.push_back(std::string("test_end") + (l.count("loss") ? " loss" : ""));
  }
  bool implements_train_batch_hooks() const override { return hooks; }
  static std::string k(int64_t i) { return std::to_string(i); }
};

struct Data {
  Tensor x{Shape{10, 3}}, y{Shape{10, 2}};
  Data() {
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 7) * 0.3f - 1;
    for (int64_t i = 0; i < y.size(); ++i) y.data()[i] = static_cast<float>(i % 3) * 0.5f;
  }
};

FitOptions options(std::shared_ptr<Recorder> recorder) {
  FitOptions o;
  o.epochs = 2;
  o.batch_size = 4;  // 2 batches per epoch on the 8 training rows (2 validation rows)
  o.verbose = 0;
  o.validation_split = 0.2;
  o.callbacks = {std::move(recorder)};
  return o;
}

TEST(CallbackHooks, FitCallsEveryHookInKerasOrder) {
  auto recorder = std::make_shared<Recorder>();
  Data d;
  model()->fit(d.x, d.y, options(recorder));
  std::vector<std::string> expected;
  for (int e = 0; e < 2; ++e) {
    expected.push_back("epoch_begin " + std::to_string(e));
    for (int b = 0; b < 2; ++b) {
      expected.push_back("batch_begin " + std::to_string(b));
      expected.push_back("batch_end " + std::to_string(b) + " loss");
    }
    expected.push_back("test_begin");
    expected.push_back("test_end loss");
    expected.push_back("epoch_end " + std::to_string(e));
  }
  EXPECT_EQ(recorder->calls, expected);
}

TEST(CallbackHooks, WithoutBatchHooksTheBatchesRunUnobservedAndAlike) {
  auto with = std::make_shared<Recorder>(), without = std::make_shared<Recorder>();
  without->hooks = false;
  Data d;
  auto a = model(), b = model();
  const History ha = a->fit(d.x, d.y, options(with));
  const History hb = b->fit(d.x, d.y, options(without));
  for (const std::string& call : without->calls) EXPECT_EQ(call.find("batch_"), std::string::npos);
  EXPECT_EQ(ha.history, hb.history);
  const auto wa = a->get_weights(), wb = b->get_weights();
  for (size_t i = 0; i < wa.size(); ++i)
    for (int64_t k = 0; k < wa[i].size(); ++k) ASSERT_EQ(wa[i][k], wb[i][k]);
}

// A stop set outside batch hooks (on_epoch_begin) still ends the fit after the next batch, as
// Keras checks stop_training after every batch.
TEST(CallbackHooks, AStopFromOnEpochBeginEndsTheFitAfterOneBatch) {
  struct StopAtSecondEpoch : EpochCallback {
    void on_epoch_begin(int epoch, const Logs&) override {
      if (epoch == 1) model_->stop_training = true;
    }
  };
  Data d;
  auto m = model();
  FitOptions o = options(std::make_shared<Recorder>());
  o.epochs = 4;
  o.callbacks = {std::make_shared<StopAtSecondEpoch>()};
  const History h = m->fit(d.x, d.y, o);
  EXPECT_EQ(h.epochs, (std::vector<int>{0, 1}));
  EXPECT_EQ(m->optimizer().iterations(), 2 + 1);  // epoch 0's two batches, then one
}

}  // namespace
}  // namespace glia

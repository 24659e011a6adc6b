// BackupAndRestore: a fit interrupted mid-epoch and resumed from its checkpoint ends with the
// weights and optimizer state of a fit never interrupted, bit for bit; checkpoints are whole or
// ignored; a checkpoint of another fit is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;

struct Crash : std::runtime_error {
  Crash() : std::runtime_error("crash") {}
};

// Throws at batch `batch` of epoch `epoch`, as a killed process would stop there.
class CrashAt : public Callback {
 public:
  CrashAt(int epoch, int64_t batch) : epoch_(epoch), batch_(batch) {}
  void on_epoch_begin(int epoch, const Logs&) override { current_ = epoch; }
  void on_train_batch_end(int64_t batch, const Logs&) override {
    if (current_ == epoch_ && batch == batch_) throw Crash();
  }

 private:
  int epoch_, current_ = -1;
  int64_t batch_;
};

// 8 -> 16 relu -> dropout -> 3 softmax with Adam: slots, shuffling and dropout all matter.
// "adam_bn": Adam with a BatchNormalization after the first Dense, whose moving statistics
// (non-trainable weights) the checkpoint must carry too.
std::unique_ptr<Sequential> make_model(const std::string& optimizer = "adam") {
  std::vector<LayerPtr> layers = {
      std::make_shared<InputLayer>(Shape{8}),
      std::make_shared<Dense>(16, DenseOptions{.activation = "relu"}),
      std::make_shared<Dropout>(0.3f),
      std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"})};
  if (optimizer == "adam_bn")
    layers.insert(layers.begin() + 2, std::make_shared<BatchNormalization>());
  auto model = std::make_unique<Sequential>(layers);
  model->initialize_weights(7);
  CompileOptions options;
  if (optimizer == "adam" || optimizer == "adam_bn")
    options.optimizer = std::make_shared<Adam>();
  else
    options.optimizer = std::make_shared<SGD>(OptimizerOptions{0.05}, SGDOptions{.momentum = 0.9});
  options.loss = Loss::parse("categorical_crossentropy");
  options.metrics = {"accuracy"};
  model->compile(options);
  return model;
}

struct Data {
  Tensor x{Shape{100, 8}}, y{Shape{100, 3}};
  Data() {
    Rng rng(3);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    y.fill(0.0f);
    for (int64_t i = 0; i < 100; ++i) y.data()[i * 3 + static_cast<int64_t>(rng.below(3))] = 1.0f;
  }
};

FitOptions fit_options(std::vector<CallbackPtr> callbacks, int epochs = 4) {
  FitOptions o;
  o.batch_size = 16;  // 80 training rows: 5 steps, the last one short
  o.epochs = epochs;
  o.verbose = 0;
  o.seed = 11;
  o.validation_split = 0.2;
  o.callbacks = std::move(callbacks);
  return o;
}

// Weights, then every optimizer slot, then the iteration count: all of the training state.
std::vector<Tensor> training_state(Model& model) {
  std::vector<Tensor> out;
  for (auto& w : model.get_weights()) out.push_back(w.clone());
  Optimizer& opt = model.optimizer();
  const auto vars = model.variables();
  for (size_t i = 0; i < vars.size(); ++i)
    for (Tensor* slot : opt.slots(i)) out.push_back(slot->clone());
  Tensor it(Shape{1});
  it[0] = static_cast<float>(model.optimizer().iterations());
  out.push_back(it);
  return out;
}

void expect_bit_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape()) << "tensor " << i;
    EXPECT_EQ(0, std::memcmp(a[i].data(), b[i].data(), sizeof(float) * a[i].size()))
        << "tensor " << i << " differs";
  }
}

class BackupAndRestoreTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = testing_util::fresh_test_dir("backup"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string backup() const { return (dir_ / "ckpt").string(); }

  // A fit of 4 epochs stopped at batch 2 of epoch `crash_epoch` with BackupAndRestore on.
  void crashed_fit(int crash_epoch, const std::string& optimizer = "adam") {
    auto model = make_model(optimizer);
    EXPECT_THROW(model->fit(data_.x, data_.y,
                            fit_options({std::make_shared<BackupAndRestore>(backup()),
                                         std::make_shared<CrashAt>(crash_epoch, 2)})),
                 Crash);
  }

  fs::path dir_;
  Data data_;
};

TEST_F(BackupAndRestoreTest, ResumedFitIsBitIdenticalToAnUninterruptedOne) {
  for (const std::string optimizer : {"adam", "sgd", "adam_bn"}) {
    SCOPED_TRACE(optimizer);
    auto straight = make_model(optimizer);
    History h = straight->fit(data_.x, data_.y, fit_options({}));
    const auto expected = training_state(*straight);

    crashed_fit(2, optimizer);
    ASSERT_EQ(BackupAndRestore::latest_checkpoint(backup()), backup() + "/epoch-2");
    EXPECT_TRUE(fs::is_regular_file(backup() + "/epoch-2/model.weights.h5"));
    EXPECT_TRUE(fs::is_regular_file(backup() + "/epoch-2/training_state.json"));
    EXPECT_FALSE(fs::exists(backup() + "/epoch-1"));  // older checkpoints are removed

    auto resumed = make_model(optimizer);  // fresh weights: all of them come from the checkpoint
    auto restore = std::make_shared<BackupAndRestore>(backup());
    History r = resumed->fit(data_.x, data_.y, fit_options({restore}));
    EXPECT_EQ(restore->restored_epoch(), 2);
    EXPECT_EQ(r.epochs, (std::vector<int>{2, 3}));
    expect_bit_identical(training_state(*resumed), expected);
    EXPECT_EQ(r.history.at("loss").back(), h.history.at("loss").back());
    EXPECT_FALSE(fs::exists(backup())) << "delete_checkpoint removes them at the end";
  }
}

TEST_F(BackupAndRestoreTest, WithoutTheCheckpointTheResumedFitDiffers) {
  // The test above can fail: the same resume without the restored shuffle state is different.
  auto straight = make_model();
  straight->fit(data_.x, data_.y, fit_options({}));
  crashed_fit(2);
  auto resumed = make_model();
  auto restore = std::make_shared<BackupAndRestore>(backup());
  FitOptions o = fit_options({restore});
  resumed->fit(data_.x, data_.y, fit_options({restore}, 2));  // restores epoch 2: nothing to do
  EXPECT_EQ(restore->restored_epoch(), 2);
  // Epochs 2 and 3 again from the restored weights, but with a freshly seeded shuffle.
  o.callbacks = {};
  o.initial_epoch = 2;
  resumed->fit(data_.x, data_.y, o);
  const auto a = training_state(*resumed), b = training_state(*straight);
  bool same = true;
  for (size_t i = 0; i < a.size(); ++i)
    same = same && std::memcmp(a[i].data(), b[i].data(), sizeof(float) * a[i].size()) == 0;
  EXPECT_FALSE(same);
}

TEST_F(BackupAndRestoreTest, ACrashInTheFirstEpochStartsOver) {
  crashed_fit(0);
  EXPECT_EQ(BackupAndRestore::latest_checkpoint(backup()), "");
  auto model = make_model();
  auto restore = std::make_shared<BackupAndRestore>(backup());
  History h = model->fit(data_.x, data_.y, fit_options({restore}));
  EXPECT_EQ(restore->restored_epoch(), 0);
  EXPECT_EQ(h.epochs.size(), 4u);
}

TEST_F(BackupAndRestoreTest, HalfWrittenCheckpointsAreIgnored) {
  crashed_fit(2);
  // A save that died before its rename, and a folder missing its state file.
  fs::create_directories(backup() + "/.tmp-epoch-3-12345");
  std::ofstream(backup() + "/.tmp-epoch-3-12345/model.weights.h5") << "partial";
  fs::create_directories(backup() + "/epoch-9");
  std::ofstream(backup() + "/epoch-9/model.weights.h5") << "partial";
  EXPECT_EQ(BackupAndRestore::latest_checkpoint(backup()), backup() + "/epoch-2");
  auto model = make_model();
  auto restore = std::make_shared<BackupAndRestore>(
      BackupAndRestoreOptions{.backup_dir = backup(), .delete_checkpoint = false});
  model->fit(data_.x, data_.y, fit_options({restore}));
  EXPECT_EQ(restore->restored_epoch(), 2);
  // The next save cleans them up; only the last checkpoint stays (delete_checkpoint off).
  EXPECT_FALSE(fs::exists(backup() + "/.tmp-epoch-3-12345"));
  EXPECT_FALSE(fs::exists(backup() + "/epoch-9"));
  EXPECT_EQ(BackupAndRestore::latest_checkpoint(backup()), backup() + "/epoch-4");
}

TEST_F(BackupAndRestoreTest, ACheckpointOfAnotherFitIsRefused) {
  crashed_fit(2);
  auto model = make_model();
  FitOptions o = fit_options({std::make_shared<BackupAndRestore>(backup())});
  o.seed = 12;
  try {
    model->fit(data_.x, data_.y, o);
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
    EXPECT_NE(std::string(e.what()).find("epoch-2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("seed 11"), std::string::npos) << e.what();
  }
  o = fit_options({std::make_shared<BackupAndRestore>(backup())});
  o.batch_size = 8;
  EXPECT_THROW(model->fit(data_.x, data_.y, o), Error);  // other steps per epoch
}

// The same shapes with another layer frozen would pair the optimizer's slots with other
// variables: refused as another fit's checkpoint.
TEST_F(BackupAndRestoreTest, ACheckpointWithOtherFrozenLayersIsRefused) {
  crashed_fit(2);
  auto model = make_model();
  model->layers()[0]->set_trainable(false);
  try {
    model->fit(data_.x, data_.y, fit_options({std::make_shared<BackupAndRestore>(backup())}));
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
    EXPECT_NE(std::string(e.what()).find("frozen layers"), std::string::npos) << e.what();
  }
}

// The same layers frozen (auto-named differently in a rebuilt model) resume.
TEST_F(BackupAndRestoreTest, AFitWithFrozenLayersResumes) {
  auto crashed = make_model();
  crashed->layers()[0]->set_trainable(false);
  EXPECT_THROW(crashed->fit(data_.x, data_.y,
                            fit_options({std::make_shared<BackupAndRestore>(backup()),
                                         std::make_shared<CrashAt>(2, 2)})),
               Crash);
  auto model = make_model();  // new layer names: "dense_2", ... instead of "dense", ...
  ASSERT_NE(model->layers()[0]->name(), crashed->layers()[0]->name());
  model->layers()[0]->set_trainable(false);
  auto restore = std::make_shared<BackupAndRestore>(backup());
  model->fit(data_.x, data_.y, fit_options({restore}));
  EXPECT_EQ(restore->restored_epoch(), 2);
}

// A checkpoint that fails its checks after its weights were read leaves the model as it was.
TEST_F(BackupAndRestoreTest, AFailedRestoreChangesNoWeight) {
  crashed_fit(2);
  const std::string state_path = backup() + "/epoch-2/training_state.json";
  std::ifstream in(state_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string key = "\"iterations\":";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos) << text;
  text.insert(at + key.size(), "1");  // e.g. 10 -> 110: not the file's count
  std::ofstream(state_path, std::ios::trunc) << text;
  auto model = make_model();
  const auto before = model->get_weights();
  EXPECT_THROW(
      model->fit(data_.x, data_.y, fit_options({std::make_shared<BackupAndRestore>(backup())})),
      Error);
  const auto after = model->get_weights();
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(0, std::memcmp(before[i].data(), after[i].data(), before[i].size() * sizeof(float)))
        << i;
}

TEST_F(BackupAndRestoreTest, ACorruptStateFileIsNamed) {
  crashed_fit(2);
  std::ofstream(backup() + "/epoch-2/training_state.json") << "{\"format\": 3";
  auto model = make_model();
  try {
    model->fit(data_.x, data_.y, fit_options({std::make_shared<BackupAndRestore>(backup())}));
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("training_state.json"), std::string::npos) << e.what();
  }
}

TEST_F(BackupAndRestoreTest, ACorruptShuffleStateIsNamed) {
  crashed_fit(2);
  const std::string file = backup() + "/epoch-2/training_state.json";
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const size_t at = text.find("\"shuffle_rng\": \"");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 16, "\"shuffle_rng\": \"x ");
  std::ofstream(file) << text;
  auto model = make_model();
  try {
    model->fit(data_.x, data_.y, fit_options({std::make_shared<BackupAndRestore>(backup())}));
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
    EXPECT_NE(std::string(e.what()).find("shuffle_rng"), std::string::npos) << e.what();
  }
}

// Regression: a LearningRateScheduler setting the rate of an optimizer built with a schedule
// (setting a rate drops the schedule, as in Keras) was resumed with the schedule's rate instead
// of the one it had set, so the resumed fit went on with other rates.
TEST_F(BackupAndRestoreTest, ARateSetOverAScheduleIsRestored) {
  auto make = [] {
    auto model = make_model("sgd");
    CompileOptions options;
    OptimizerOptions rate;
    rate.learning_rate = 0.05;
    rate.schedule = std::make_shared<ExponentialDecay>(0.05, 3, 0.5);
    options.optimizer = std::make_shared<SGD>(rate, SGDOptions{.momentum = 0.9});
    options.loss = Loss::parse("categorical_crossentropy");
    options.metrics = {"accuracy"};
    model->compile(options);
    return model;
  };
  auto halve = [] {
    return std::make_shared<LearningRateScheduler>([](int, double lr) { return lr * 0.5; });
  };
  auto straight = make();
  straight->fit(data_.x, data_.y, fit_options({halve()}));
  const auto expected = training_state(*straight);
  const double expected_rate = straight->optimizer().learning_rate();
  {
    auto crashed = make();
    EXPECT_THROW(crashed->fit(data_.x, data_.y,
                              fit_options({std::make_shared<BackupAndRestore>(backup()), halve(),
                                           std::make_shared<CrashAt>(2, 2)})),
                 Crash);
  }
  auto resumed = make();
  resumed->fit(data_.x, data_.y,
               fit_options({std::make_shared<BackupAndRestore>(backup()), halve()}));
  EXPECT_EQ(resumed->optimizer().learning_rate(), expected_rate);
  expect_bit_identical(training_state(*resumed), expected);
}

// Regression: a backup_dir that is a file was reported as a permission problem
// (ErrorKind::Permission, "cannot read: Not a directory").
TEST_F(BackupAndRestoreTest, ABackupDirThatIsAFileIsNamedAsSuch) {
  fs::create_directories(dir_);
  std::ofstream(backup()) << "not a folder";
  auto model = make_model();
  try {
    model->fit(data_.x, data_.y, fit_options({std::make_shared<BackupAndRestore>(backup())}));
    FAIL() << "fit accepted a backup_dir that is a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(backup() + ": not a folder"), std::string::npos)
        << e.what();
  }
}

TEST_F(BackupAndRestoreTest, OptionsAreChecked) {
  EXPECT_THROW(BackupAndRestore(""), Error);
  try {
    BackupAndRestore(BackupAndRestoreOptions{.backup_dir = backup(), .save_freq = "100"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("save_freq '100'"), std::string::npos) << e.what();
  }
}

TEST_F(BackupAndRestoreTest, OnlyRestoringWritesNothing) {
  crashed_fit(1);
  auto model = make_model();
  auto restore = std::make_shared<BackupAndRestore>(
      BackupAndRestoreOptions{.backup_dir = backup(), .write = false});
  model->fit(data_.x, data_.y, fit_options({restore}));
  EXPECT_EQ(restore->restored_epoch(), 1);
  EXPECT_EQ(BackupAndRestore::latest_checkpoint(backup()), backup() + "/epoch-1");
}

}  // namespace
}  // namespace glia

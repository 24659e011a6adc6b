// Callbacks driven directly with synthetic logs: History, EarlyStopping, ModelCheckpoint,
// LearningRateScheduler, CSVLogger, TerminateOnNaN.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using testing::internal::CaptureStderr;
using testing::internal::CaptureStdout;
using testing::internal::GetCapturedStderr;
using testing::internal::GetCapturedStdout;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// A compiled 3 -> 2 Dense model with RMSprop(learning_rate=0.001).
std::unique_ptr<Sequential> tiny_model() {
  auto model = std::make_unique<Sequential>(
      std::vector<LayerPtr>{std::make_shared<InputLayer>(Shape{3}), std::make_shared<Dense>(2)});
  CompileOptions options;
  options.optimizer = std::make_shared<RMSprop>();
  options.loss = Loss::parse("mse");
  model->compile(options);
  return model;
}

// Sets every weight of the model to `value`, so a set of weights can be recognised later.
void mark_weights(Model& model, float value) {
  auto weights = model.get_weights();
  for (auto& w : weights) w.fill(value);
  model.set_weights(weights);
}

float weight_mark(Model& model) {
  return model.get_weights().at(0)[0];
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("glia_callbacks_" + std::to_string(getpid()) + "_" +
                                        info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

// ---- History ----

TEST(History, RecordsEpochLogsAndClearsOnTrainBegin) {
  History history;
  history.on_train_begin({});
  history.on_epoch_end(0, {{"loss", 0.5}, {"accuracy", 0.7}});
  history.on_epoch_end(1, {{"loss", 0.4}, {"accuracy", 0.8}, {"val_loss", 0.45}});
  EXPECT_EQ(history.epochs, (std::vector<int>{0, 1}));
  EXPECT_EQ(history.history["loss"], (std::vector<double>{0.5, 0.4}));
  EXPECT_EQ(history.history["accuracy"], (std::vector<double>{0.7, 0.8}));
  EXPECT_EQ(history.history["val_loss"], (std::vector<double>{0.45}));
  history.on_train_begin({});
  EXPECT_TRUE(history.history.empty());
  EXPECT_TRUE(history.epochs.empty());
}

// ---- EarlyStopping ----

// EarlyStoppingOptions with some fields set (GCC warns on partial designated initializers of
// a struct holding a std::optional).
template <class Set>
EarlyStoppingOptions options(Set set) {
  EarlyStoppingOptions o;
  set(o);
  return o;
}

// Feeds one monitored value per epoch the way fit() would, stopping when asked; returns the
// number of epochs run.
int run_epochs(EarlyStopping& es, Model& model, const std::vector<double>& values,
               const std::string& key = "val_loss") {
  model.stop_training = false;
  es.set_model(&model);
  es.on_train_begin({});
  int epoch = 0;
  for (; epoch < static_cast<int>(values.size()) && !model.stop_training; ++epoch) {
    es.on_epoch_end(epoch, {{"loss", 1.0}, {key, values[epoch]}});
  }
  es.on_train_end({});
  return epoch;
}

TEST(EarlyStopping, PatienceZeroStopsOnFirstNonImprovement) {
  auto model = tiny_model();
  EarlyStopping es;
  EXPECT_EQ(run_epochs(es, *model, {1.0, 0.9, 0.95, 0.5}), 3);
  EXPECT_TRUE(model->stop_training);
  EXPECT_EQ(es.stopped_epoch(), 2);
  EXPECT_EQ(es.best_epoch(), 1);
}

TEST(EarlyStopping, PatienceCountsEpochsWithoutImprovement) {
  auto model = tiny_model();
  EarlyStopping es(options([](EarlyStoppingOptions& o) { o.patience = 2; }));
  EXPECT_EQ(run_epochs(es, *model, {1.0, 0.9, 0.95, 0.96, 0.5}), 4);
  EXPECT_EQ(es.stopped_epoch(), 3);
  // An improvement inside the patience window resets the wait.
  EXPECT_EQ(run_epochs(es, *model, {1.0, 1.1, 0.9, 1.2, 1.3, 1.4}), 5);
  EXPECT_EQ(es.stopped_epoch(), 4);
}

TEST(EarlyStopping, NeverStopsWhileImproving) {
  auto model = tiny_model();
  EarlyStopping es;
  EXPECT_EQ(run_epochs(es, *model, {5, 4, 3, 2, 1}), 5);
  EXPECT_FALSE(model->stop_training);
  EXPECT_EQ(es.stopped_epoch(), 0);
}

TEST(EarlyStopping, MinDeltaTakesTheModeSign) {
  auto model = tiny_model();
  EarlyStopping min_es(options([](EarlyStoppingOptions& o) {
    o.min_delta = -0.1;  // the sign comes from the mode: |min_delta| is used
    o.patience = 1;
  }));
  EXPECT_EQ(run_epochs(min_es, *model, {1.0, 0.95, 0.85}), 2);
  EarlyStopping max_es(options([](EarlyStoppingOptions& o) {
    o.monitor = "val_accuracy";
    o.min_delta = 0.1;
    o.patience = 1;
  }));
  EXPECT_EQ(run_epochs(max_es, *model, {0.5, 0.55, 0.7}, "val_accuracy"), 2);
  EXPECT_EQ(run_epochs(max_es, *model, {0.5, 0.61, 0.75}, "val_accuracy"), 3);
}

TEST(EarlyStopping, AutoModeMaximizesAccuracyAndAuc) {
  auto model = tiny_model();
  EarlyStopping acc(options([](EarlyStoppingOptions& o) { o.monitor = "val_accuracy"; }));
  EXPECT_EQ(run_epochs(acc, *model, {0.5, 0.6, 0.55}, "val_accuracy"), 3);
  EarlyStopping auc(options([](EarlyStoppingOptions& o) { o.monitor = "auc"; }));
  EXPECT_EQ(run_epochs(auc, *model, {0.5, 0.6, 0.7, 0.65}, "auc"), 4);
  EarlyStopping explicit_min(options([](EarlyStoppingOptions& o) {
    o.monitor = "val_accuracy";
    o.mode = "min";
  }));
  EXPECT_EQ(run_epochs(explicit_min, *model, {0.5, 0.6}, "val_accuracy"), 2);
  EXPECT_EQ(explicit_min.stopped_epoch(), 1);
}

TEST(EarlyStopping, BaselineKeepsTheWaitRunning) {
  auto model = tiny_model();
  // Improving on the best but not on the baseline does not reset the wait.
  EarlyStopping es(options([](EarlyStoppingOptions& o) {
    o.patience = 2;
    o.baseline = 0.5;
  }));
  EXPECT_EQ(run_epochs(es, *model, {1.0, 1.1, 1.2}), 2);
  EXPECT_EQ(es.stopped_epoch(), 1);
  EarlyStopping no_baseline(options([](EarlyStoppingOptions& o) { o.patience = 2; }));
  EXPECT_EQ(run_epochs(no_baseline, *model, {1.0, 1.1, 1.2}), 3);
  // Beating the baseline resets it.
  EXPECT_EQ(run_epochs(es, *model, {0.4, 0.45, 0.3, 0.35, 0.36}), 5);
  EXPECT_EQ(es.stopped_epoch(), 4);
}

TEST(EarlyStopping, StartFromEpochSkipsWarmup) {
  auto model = tiny_model();
  EarlyStopping es(options([](EarlyStoppingOptions& o) { o.start_from_epoch = 2; }));
  EXPECT_EQ(run_epochs(es, *model, {1, 2, 3, 4, 5}), 4);
  EXPECT_EQ(es.stopped_epoch(), 3);
  EXPECT_EQ(es.best_epoch(), 2);
}

TEST(EarlyStopping, NeverStopsAfterTheFirstEpoch) {
  auto model = tiny_model();
  EarlyStopping es;
  EXPECT_EQ(run_epochs(es, *model, {kNaN}), 1);
  EXPECT_FALSE(model->stop_training);
  EXPECT_EQ(run_epochs(es, *model, {kNaN, kNaN}), 2);  // NaN never improves
  EXPECT_EQ(es.stopped_epoch(), 1);
}

TEST(EarlyStopping, MissingMonitorWarnsAndContinues) {
  auto model = tiny_model();
  EarlyStopping es(options([](EarlyStoppingOptions& o) { o.monitor = "val_auc"; }));
  CaptureStderr();
  EXPECT_EQ(run_epochs(es, *model, {1, 2, 3}, "val_loss"), 3);
  std::string err = GetCapturedStderr();
  EXPECT_NE(err.find("`val_auc`"), std::string::npos) << err;
  EXPECT_NE(err.find("Available metrics are: loss,val_loss"), std::string::npos) << err;
  EXPECT_FALSE(model->stop_training);
}

TEST(EarlyStopping, RestoresBestWeightsAndReports) {
  auto model = tiny_model();
  EarlyStopping es(options([](EarlyStoppingOptions& o) {
    o.patience = 1;
    o.restore_best_weights = true;
    o.verbose = 1;
  }));
  es.set_model(model.get());
  es.on_train_begin({});
  const std::vector<double> val_loss{1.0, 0.5, 0.7, 0.8};
  int epoch = 0;
  for (; !model->stop_training; ++epoch) {
    mark_weights(*model, static_cast<float>(epoch + 1));
    es.on_epoch_end(epoch, {{"val_loss", val_loss.at(epoch)}});
  }
  EXPECT_EQ(epoch, 3);
  EXPECT_EQ(weight_mark(*model), 3.0f);
  CaptureStdout();
  es.on_train_end({});
  EXPECT_EQ(GetCapturedStdout(),
            "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: "
            "2.\n");
  EXPECT_EQ(weight_mark(*model), 2.0f);
}

TEST(EarlyStopping, RestoresBestWeightsEvenWithoutStopping) {
  auto model = tiny_model();
  EarlyStopping es(options([](EarlyStoppingOptions& o) {
    o.patience = 5;
    o.restore_best_weights = true;
  }));
  es.set_model(model.get());
  es.on_train_begin({});
  const std::vector<double> val_loss{1.0, 0.5, 0.7};
  for (int epoch = 0; epoch < 3; ++epoch) {
    mark_weights(*model, static_cast<float>(epoch + 1));
    es.on_epoch_end(epoch, {{"val_loss", val_loss[epoch]}});
  }
  EXPECT_FALSE(model->stop_training);
  CaptureStdout();
  es.on_train_end({});
  EXPECT_EQ(GetCapturedStdout(), "");  // verbose 0
  EXPECT_EQ(weight_mark(*model), 2.0f);
}

TEST(EarlyStopping, IsReusableAcrossFits) {
  auto model = tiny_model();
  EarlyStopping es;
  EXPECT_EQ(run_epochs(es, *model, {0.1, 0.2}), 2);
  // A second fit starts from a fresh best: 0.5 improves on nothing seen in this fit yet.
  EXPECT_EQ(run_epochs(es, *model, {0.5, 0.4, 0.3}), 3);
  EXPECT_FALSE(model->stop_training);
}

// ---- ModelCheckpoint ----

TEST(ModelCheckpoint, FormatPath) {
  Logs logs{{"loss", 0.5}, {"val_loss", 0.12345}, {"val_accuracy", 0.98765}};
  EXPECT_EQ(ModelCheckpoint::format_path("ckpt-{epoch:02d}-{val_loss:.2f}.keras", 0, logs),
            "ckpt-01-0.12.keras");
  EXPECT_EQ(ModelCheckpoint::format_path("m{epoch}.keras", 9, logs), "m10.keras");
  EXPECT_EQ(ModelCheckpoint::format_path("m{epoch:03d}.keras", 9, logs), "m010.keras");
  EXPECT_EQ(ModelCheckpoint::format_path("{loss}-{val_accuracy:.4f}", 0, logs), "0.5-0.9877");
  EXPECT_EQ(ModelCheckpoint::format_path("{val_loss:.3e}", 0, logs), "1.235e-01");
  EXPECT_EQ(ModelCheckpoint::format_path("{{epoch}}-{epoch}", 1, logs), "{epoch}-2");
  EXPECT_EQ(ModelCheckpoint::format_path("plain.keras", 3, logs), "plain.keras");
  EXPECT_THROW(ModelCheckpoint::format_path("{accuracy}.keras", 0, logs), Error);
  EXPECT_THROW(ModelCheckpoint::format_path("{loss:d}.keras", 0, logs), Error);
  EXPECT_THROW(ModelCheckpoint::format_path("{epoch.keras", 0, logs), Error);
  EXPECT_THROW(ModelCheckpoint::format_path("epoch}.keras", 0, logs), Error);
  try {
    ModelCheckpoint::format_path("x-{acc}.keras", 0, logs);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("x-{acc}.keras"), std::string::npos) << what;
    EXPECT_NE(what.find("'acc'"), std::string::npos) << what;
    EXPECT_NE(what.find("val_loss"), std::string::npos) << what;
  }
}

class ModelCheckpointTest : public TempDir {};

TEST_F(ModelCheckpointTest, SavesEveryEpoch) {
  auto model = tiny_model();
  std::vector<std::string> saved;
  ModelCheckpoint cb({.filepath = path("sub/dir/m-{epoch:02d}-{loss:.2f}.keras")},
                     [&](Model& m, const std::string& p) {
                       EXPECT_EQ(&m, model.get());
                       saved.push_back(p);
                     });
  cb.set_model(model.get());
  cb.on_epoch_end(0, {{"loss", 0.5}, {"val_loss", 0.9}});
  cb.on_epoch_end(1, {{"loss", 0.25}, {"val_loss", 1.9}});
  EXPECT_EQ(saved, (std::vector<std::string>{path("sub/dir/m-01-0.50.keras"),
                                             path("sub/dir/m-02-0.25.keras")}));
  EXPECT_TRUE(fs::is_directory(dir_ / "sub" / "dir"));  // created before saving
}

TEST_F(ModelCheckpointTest, SaveBestOnlyComparesWithMode) {
  auto model = tiny_model();
  std::vector<std::string> saved;
  auto save = [&](Model&, const std::string& p) { saved.push_back(p); };
  ModelCheckpoint min_cb({.filepath = path("best-{epoch}.keras"), .save_best_only = true}, save);
  min_cb.set_model(model.get());
  for (int e = 0; e < 4; ++e) {
    min_cb.on_epoch_end(e, {{"val_loss", std::vector<double>{0.5, 0.6, 0.4, 0.4}[e]}});
  }
  EXPECT_EQ(saved, (std::vector<std::string>{path("best-1.keras"), path("best-3.keras")}));

  saved.clear();
  ModelCheckpoint max_cb(
      {.filepath = path("best.keras"), .monitor = "val_accuracy", .save_best_only = true}, save);
  max_cb.set_model(model.get());
  for (int e = 0; e < 3; ++e) {
    max_cb.on_epoch_end(e, {{"val_accuracy", std::vector<double>{0.5, 0.4, 0.7}[e]}});
  }
  EXPECT_EQ(saved.size(), 2u);
}

TEST_F(ModelCheckpointTest, SaveBestOnlyWithoutMonitorSavesAndWarns) {
  auto model = tiny_model();
  int saves = 0;
  ModelCheckpoint cb({.filepath = path("m.keras"), .save_best_only = true},
                     [&](Model&, const std::string&) { ++saves; });
  cb.set_model(model.get());
  CaptureStderr();
  cb.on_epoch_end(0, {{"loss", 0.5}});
  EXPECT_NE(GetCapturedStderr().find("val_loss"), std::string::npos);
  EXPECT_EQ(saves, 1);
}

TEST_F(ModelCheckpointTest, VerboseMessagesMatchKeras) {
  auto model = tiny_model();
  ModelCheckpoint cb({.filepath = path("m.keras"), .save_best_only = true, .verbose = 1},
                     [](Model&, const std::string&) {});
  cb.set_model(model.get());
  std::string p = path("m.keras");
  CaptureStdout();
  cb.on_epoch_end(0, {{"val_loss", 0.5}});
  cb.on_epoch_end(1, {{"val_loss", 0.75}});
  EXPECT_EQ(GetCapturedStdout(),
            "\nEpoch 1: val_loss improved from inf to 0.50000, saving model to " + p +
                "\n\nEpoch 1: finished saving model to " + p +
                "\n\nEpoch 2: val_loss did not improve from 0.50000\n");
}

TEST(ModelCheckpoint, RejectsBadOptions) {
  EXPECT_THROW(ModelCheckpoint({}, [](Model&, const std::string&) {}), Error);
  EXPECT_THROW(ModelCheckpoint({.filepath = "m.keras"}, nullptr), Error);
  ModelCheckpoint no_model({.filepath = "m.keras"}, [](Model&, const std::string&) {});
  EXPECT_THROW(no_model.on_epoch_end(0, {{"val_loss", 1.0}}), Error);
}

// ---- LearningRateScheduler ----

TEST(LearningRateScheduler, SetsTheRateAtEpochBegin) {
  auto model = tiny_model();
  std::vector<std::pair<int, double>> calls;
  LearningRateScheduler cb([&](int epoch, double lr) {
    calls.emplace_back(epoch, lr);
    return epoch < 1 ? lr : lr * 0.5;
  });
  cb.set_model(model.get());
  double lr0 = model->optimizer().learning_rate();
  EXPECT_NEAR(lr0, 0.001, 1e-9);
  for (int epoch = 0; epoch < 3; ++epoch) {
    cb.on_epoch_begin(epoch, {});
    cb.on_epoch_end(epoch, {{"loss", 1.0}});
  }
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].first, 0);
  EXPECT_NEAR(calls[1].second, lr0, 1e-12);
  EXPECT_NEAR(calls[2].second, lr0 * 0.5, 1e-9);
  EXPECT_NEAR(model->optimizer().learning_rate(), lr0 * 0.25, 1e-9);
}

TEST(LearningRateScheduler, VerboseMessage) {
  auto model = tiny_model();
  LearningRateScheduler cb([](int, double) { return 0.0005; }, 1);
  cb.set_model(model.get());
  CaptureStdout();
  cb.on_epoch_begin(2, {});
  EXPECT_EQ(GetCapturedStdout(),
            "\nEpoch 3: LearningRateScheduler setting learning rate to 0.0005.\n");
}

TEST(LearningRateScheduler, RejectsBadUse) {
  EXPECT_THROW(LearningRateScheduler(nullptr), Error);
  LearningRateScheduler no_model([](int, double lr) { return lr; });
  EXPECT_THROW(no_model.on_epoch_begin(0, {}), Error);
  auto model = tiny_model();
  LearningRateScheduler nan_schedule([](int, double) { return std::nan(""); });
  nan_schedule.set_model(model.get());
  EXPECT_THROW(nan_schedule.on_epoch_begin(0, {}), Error);
}

// ---- CSVLogger ----

class CSVLoggerTest : public TempDir {};

TEST_F(CSVLoggerTest, WritesHeaderAndRows) {
  std::string file = path("log.csv");
  CSVLogger csv(file);
  csv.on_train_begin({});
  csv.on_epoch_end(0, {{"loss", 0.5}, {"accuracy", 0.1 + 0.2}, {"val_loss", 1e-05}});
  // Rows are flushed as they are written.
  EXPECT_EQ(read(file), "epoch,accuracy,loss,val_loss\r\n0,0.30000000000000004,0.5,1e-05\r\n");
  csv.on_epoch_end(1, {{"loss", 0.25}, {"accuracy", 1.0}});  // val_loss missing: NA
  csv.on_train_end({});
  EXPECT_EQ(read(file),
            "epoch,accuracy,loss,val_loss\r\n0,0.30000000000000004,0.5,1e-05\r\n"
            "1,1.0,0.25,NA\r\n");
}

TEST_F(CSVLoggerTest, OverwritesWithoutAppend) {
  std::string file = path("log.csv");
  std::ofstream(file) << "old contents\n";
  CSVLogger csv(file, ';');
  csv.on_train_begin({});
  csv.on_epoch_end(0, {{"loss", kNaN}, {"val_loss", kInf}});
  csv.on_train_end({});
  EXPECT_EQ(read(file), "epoch;loss;val_loss\r\n0;nan;inf\r\n");
}

TEST_F(CSVLoggerTest, AppendKeepsTheFileAndSkipsTheHeader) {
  std::string file = path("log.csv");
  {
    CSVLogger first(file, ',', true);  // appending to a missing file writes the header
    first.on_train_begin({});
    first.on_epoch_end(0, {{"loss", 0.5}});
    first.on_train_end({});
  }
  CSVLogger second(file, ',', true);
  second.on_train_begin({});
  second.on_epoch_end(1, {{"loss", 0.25}});
  second.on_train_end({});
  EXPECT_EQ(read(file), "epoch,loss\r\n0,0.5\r\n1,0.25\r\n");

  std::ofstream(path("empty.csv")).close();
  CSVLogger empty(path("empty.csv"), ',', true);
  empty.on_train_begin({});
  empty.on_epoch_end(0, {{"loss", 2.0}});
  empty.on_train_end({});
  EXPECT_EQ(read(path("empty.csv")), "epoch,loss\r\n0,2.0\r\n");
}

TEST_F(CSVLoggerTest, QuotesFieldsHoldingTheSeparator) {
  std::string file = path("log.csv");
  CSVLogger csv(file);
  csv.on_train_begin({});
  csv.on_epoch_end(0, {{"a,b", 1.0}, {"q\"", 2.0}});
  csv.on_train_end({});
  EXPECT_EQ(read(file), "epoch,\"a,b\",\"q\"\"\"\r\n0,1.0,2.0\r\n");
}

TEST_F(CSVLoggerTest, ClosesOnDestructionAndRestartsPerFit) {
  std::string file = path("log.csv");
  {
    CSVLogger csv(file);
    csv.on_train_begin({});
    csv.on_epoch_end(0, {{"loss", 0.5}});
    csv.on_train_begin({});  // a second fit rewrites the file
    csv.on_epoch_end(0, {{"loss", 0.75}});
  }
  EXPECT_EQ(read(file), "epoch,loss\r\n0,0.75\r\n");
}

TEST_F(CSVLoggerTest, UnopenableFileNamesIt) {
  std::string file = path("missing-dir/log.csv");
  CSVLogger csv(file);
  try {
    csv.on_train_begin({});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
}

// ---- TerminateOnNaN ----

TEST(TerminateOnNaN, StopsOnNaNOrInfiniteLoss) {
  auto model = tiny_model();
  TerminateOnNaN cb;
  cb.set_model(model.get());
  CaptureStderr();
  cb.on_train_batch_end(3, {{"loss", 0.5}});
  cb.on_train_batch_end(4, {{"accuracy", kNaN}});
  EXPECT_EQ(GetCapturedStderr(), "");
  EXPECT_FALSE(model->stop_training);
  CaptureStderr();
  cb.on_train_batch_end(7, {{"loss", kNaN}});
  EXPECT_EQ(GetCapturedStderr(), "Batch 7: Invalid loss, terminating training\n");
  EXPECT_TRUE(model->stop_training);
  model->stop_training = false;
  CaptureStderr();
  cb.on_train_batch_end(8, {{"loss", -kInf}});
  EXPECT_EQ(GetCapturedStderr(), "Batch 8: Invalid loss, terminating training\n");
  EXPECT_TRUE(model->stop_training);
}

}  // namespace
}  // namespace glia

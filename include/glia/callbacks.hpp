// Training callbacks (Keras semantics). Logs are keyed by metric name and sorted by key, as
// Keras sorts them: accuracy, loss, val_accuracy, val_loss.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/tensor.hpp"

namespace glia {

class Model;
using Logs = std::map<std::string, double>;

struct TrainParams {
  int epochs = 1;
  int64_t steps = 0;  // batches per epoch
  int verbose = 1;
  /// Data-parallel training: this process's rank and the group size. Callbacks that print or
  /// write files do so on rank 0 only (verbose is 0 on the other ranks).
  int rank = 0;
  int ranks = 1;
};

class Callback {
 public:
  virtual ~Callback() = default;
  void set_model(Model* model) { model_ = model; }
  void set_params(const TrainParams& params) { params_ = params; }

  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, const Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs&) {}
  virtual void on_train_batch_begin(int64_t /*batch*/, const Logs&) {}
  virtual void on_train_batch_end(int64_t /*batch*/, const Logs&) {}
  virtual void on_test_begin(const Logs&) {}
  virtual void on_test_end(const Logs&) {}
  /// False for a callback whose batch hooks (on_train_batch_begin/end) do nothing. When no
  /// callback of a fit has them (on any rank), fit() skips the per-batch logs and, training
  /// data-parallel, the two small exchanges per batch they need (Keras' own shortcut).
  virtual bool implements_train_batch_hooks() const { return true; }

 protected:
  Model* model_ = nullptr;
  TrainParams params_;
};

/// A callback without batch hooks (fit() then need not compute the per-batch logs for it). They
/// are final: a subclass cannot add one that fit() would skip.
class EpochCallback : public Callback {
 public:
  void on_train_batch_begin(int64_t, const Logs&) final {}
  void on_train_batch_end(int64_t, const Logs&) final {}
  bool implements_train_batch_hooks() const final { return false; }
};

using CallbackPtr = std::shared_ptr<Callback>;

/// Records the epoch logs: history["loss"][epoch] ...
class History : public EpochCallback {
 public:
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epochs;
};

/// Keras' progress output: verbose 1 draws the live bar (redrawn with \b and \r when `out` is a
/// terminal, or printed once per epoch otherwise); verbose 2 prints one line per epoch.
class ProgbarLogger : public Callback {
 public:
  explicit ProgbarLogger(std::FILE* out = stdout);
  /// Forces terminal (dynamic) mode on or off instead of detecting it with isatty.
  void set_dynamic_display(bool dynamic) { dynamic_ = dynamic; }
  void on_train_begin(const Logs&) override;
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  /// Only the live bar (verbose 1) reads each batch's logs; verbose 2 prints at the epoch's end
  /// (counting the batches itself only when the step count is unknown).
  bool implements_train_batch_hooks() const override {
    return params_.verbose == 1 || (params_.verbose == 2 && params_.steps <= 0);
  }

 private:
  void draw(int64_t current, const Logs& logs, bool finalize);
  std::FILE* out_;
  bool dynamic_;
  double start_ = 0, last_update_ = 0, after_first_step_ = 0;
  int64_t seen_ = 0;
  size_t prev_width_ = 0;
  std::vector<std::string> order_;  // first-seen order of log keys
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  std::string mode = "auto";  // auto | min | max; auto = max when the name has "acc"/"auc"
  std::optional<double> baseline{};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
  int verbose = 0;
};
class EarlyStopping : public EpochCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }

 private:
  bool improved(double current, double reference) const;
  EarlyStoppingOptions o_;
  bool maximize_ = false;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_ = 0;
  std::vector<Tensor> best_weights_;
};

/// Calls `save(model, path)` at the end of an epoch — every epoch, or only when the monitored
/// value improves with save_best_only — with `path` the `filepath` pattern expanded: it may
/// contain {epoch} (1-based) and {name} placeholders for log values, e.g.
/// "ckpt-{epoch:02d}-{val_loss:.2f}.keras". The model file format plugs in through `save`
/// (e.g. a lambda calling glia::save_model).
struct ModelCheckpointOptions {
  std::string filepath;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  std::string mode = "auto";
  int verbose = 0;
};
class ModelCheckpoint : public EpochCallback {
 public:
  using SaveFn = std::function<void(Model&, const std::string& path)>;
  ModelCheckpoint(ModelCheckpointOptions options, SaveFn save);
  void on_epoch_end(int epoch, const Logs& logs) override;
  /// Expands the {…} placeholders of the file path for the given epoch (0-based) and logs.
  static std::string format_path(const std::string& pattern, int epoch, const Logs& logs);

 private:
  ModelCheckpointOptions o_;
  SaveFn save_;
  bool maximize_ = false;
  std::optional<double> best_;
};

/// Keras' BackupAndRestore (keras.callbacks.BackupAndRestore(backup_dir, save_freq="epoch",
/// delete_checkpoint=True)): at each epoch end it writes the training state into `backup_dir`
/// — the weights, the optimizer's slots, iteration count and learning rate, the epoch done and
/// the shuffle generator's state — as one checkpoint folder made whole under a temporary name
/// and renamed into place (`epoch-N/`: `model.weights.h5` in Keras 3's layout with
/// `optimizer/vars`, and `training_state.json`), so a reader never sees half of one. At train
/// begin the newest complete checkpoint is restored and fit() goes on from the epoch after it
/// with the randomness an uninterrupted fit would have had: the final weights are bit-identical
/// at the same thread count. A checkpoint from another fit (a different seed, steps per epoch,
/// optimizer, initial learning rate or model) is refused with glia::Error naming the folder. When
/// training ends normally the checkpoints are deleted (delete_checkpoint), the folder too when that
/// leaves it empty. Other callbacks' own state (EarlyStopping's patience, ...) is not saved, as in
/// Keras. Under data-parallel training every rank restores the same checkpoint and only rank 0
/// (TrainParams::rank) writes and deletes them; with `write` false it only restores.
struct BackupAndRestoreOptions {
  std::string backup_dir;
  /// "epoch" only: Keras' per-batch saving (an integer) is refused.
  std::string save_freq = "epoch";
  bool delete_checkpoint = true;
  bool write = true;
};
class BackupAndRestore : public EpochCallback {
 public:
  explicit BackupAndRestore(BackupAndRestoreOptions options);
  explicit BackupAndRestore(std::string backup_dir)
      : BackupAndRestore(BackupAndRestoreOptions{.backup_dir = std::move(backup_dir)}) {}
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;
  /// The epoch fit() resumed from in the last on_train_begin (0: no checkpoint was found).
  int restored_epoch() const { return restored_epoch_; }
  /// The newest complete checkpoint folder in `backup_dir` ("" when there is none).
  static std::string latest_checkpoint(const std::string& backup_dir);

 private:
  BackupAndRestoreOptions o_;
  int restored_epoch_ = 0;
  std::string initial_learning_rate_;  // the fit's first rate as JSON text, or "schedule"
};

/// Sets the optimizer's learning rate at each epoch start to schedule(epoch, current_lr).
class LearningRateScheduler : public EpochCallback {
 public:
  using Fn = std::function<double(int epoch, double lr)>;
  explicit LearningRateScheduler(Fn schedule, int verbose = 0);
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  Fn schedule_;
  int verbose_;
};

/// Streams epoch logs to a CSV file: header "epoch,<sorted keys>" then one row per epoch.
class CSVLogger : public EpochCallback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);
  ~CSVLogger() override;
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string filename_;
  char sep_;
  bool append_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> keys_;
};

/// Stops training when a batch loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
};

/// A callback made of lambdas, for quick hooks (e.g. logging metrics to a run).
class LambdaCallback : public Callback {
 public:
  std::function<void(int, const Logs&)> epoch_begin, epoch_end;
  std::function<void(int64_t, const Logs&)> batch_end;
  std::function<void(const Logs&)> train_begin, train_end;
  void on_epoch_begin(int e, const Logs& l) override {
    if (epoch_begin) epoch_begin(e, l);
  }
  void on_epoch_end(int e, const Logs& l) override {
    if (epoch_end) epoch_end(e, l);
  }
  void on_train_batch_end(int64_t b, const Logs& l) override {
    if (batch_end) batch_end(b, l);
  }
  bool implements_train_batch_hooks() const override { return static_cast<bool>(batch_end); }
  void on_train_begin(const Logs& l) override {
    if (train_begin) train_begin(l);
  }
  void on_train_end(const Logs& l) override {
    if (train_end) train_end(l);
  }
};

}  // namespace glia

// Keras' BackupAndRestore: the whole training state at each epoch end, as one checkpoint folder
// renamed into place, restored at train begin so that an interrupted fit goes on exactly.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <system_error>

#include "formats/h5.hpp"
#include "formats/read_file.hpp"
#include "formats/weights.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/model.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kFormat = "glia.backup_and_restore";
constexpr int kVersion = 1;
constexpr const char* kWeights = "model.weights.h5";
constexpr const char* kState = "training_state.json";
constexpr const char* kPrefix = "epoch-";
constexpr int64_t kMaxStateBytes = int64_t{1} << 20;

std::string prefix(const std::string& dir) {
  return "BackupAndRestore: " + dir;
}

// "epoch-12" → 12; -1 for any other name (temporary folders start with a dot).
int64_t epoch_of(const std::string& name) {
  const std::string p = kPrefix;
  if (name.size() <= p.size() || name.compare(0, p.size(), p) != 0 || name.size() > p.size() + 9)
    return -1;
  int64_t n = 0;
  for (size_t i = p.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

// Removes what an earlier save left behind: checkpoints older than `keep` (all when keep is
// -1) and temporary folders of a save that did not finish.
void remove_others(const fs::path& dir, int64_t keep) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const int64_t e = epoch_of(name);
    const bool temporary = name.rfind(".tmp-", 0) == 0;
    if (temporary || (e >= 0 && e != keep)) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

void read_weights_unchecked(Model& model, const fs::path& file, const json& state);

// Restores the weights and the optimizer's state; checks them against the state file. A
// checkpoint that fails a check leaves the model and the optimizer as they were.
void read_weights(Model& model, const fs::path& file, const json& state) {
  Optimizer& opt = model.optimizer();
  const std::vector<Tensor> weights = model.get_weights();
  std::vector<std::pair<Tensor*, Tensor>> slots;
  for (size_t i = 0; i < opt.built_for().size(); ++i)
    for (Tensor* t : opt.slots(i)) slots.emplace_back(t, t->clone());
  const int64_t iterations = opt.iterations();
  const OptimizerOptions options = opt.options();
  try {
    read_weights_unchecked(model, file, state);
  } catch (...) {
    model.set_weights(weights);
    for (auto& [t, saved] : slots) t->copy_from(saved);
    opt.set_iterations(iterations);
    if (!options.schedule) opt.set_learning_rate(options.learning_rate);
    throw;
  }
}

void read_weights_unchecked(Model& model, const fs::path& file, const json& state) {
  Optimizer& opt = model.optimizer();
  // A constant rate when the checkpoint was written: also when this fit's optimizer has a
  // schedule that a rate set during the fit (LearningRateScheduler) dropped, as Keras does — the
  // optimizer is made as it was then, its variables (learning_rate among them) then read.
  const bool constant_rate = state.contains("learning_rate") && state["learning_rate"].is_number();
  if (constant_rate) opt.set_learning_rate(state["learning_rate"].get<double>());
  formats::h5::File f = formats::h5::File::open(file.string());
  formats::h5::Group root = f.root();
  formats::read_keras3_weights(model, root);
  if (!formats::read_keras3_optimizer(model, root))
    throw Error(ErrorKind::Corrupt,
                file.string() + ": holds no optimizer state for this model's trainable variables");
  if (opt.iterations() != state.at("iterations").get<int64_t>())
    throw Error(ErrorKind::Corrupt, file.string() + ": the optimizer's iteration count " +
                                        std::to_string(opt.iterations()) + " is not the " +
                                        state.at("iterations").dump() + " of " + kState);
  // The file keeps Keras' float32 rate; the state file the exact one.
  if (constant_rate) opt.set_learning_rate(state["learning_rate"].get<double>());
}

void check_same_fit(const std::string& where, const json& state, const std::string& key,
                    const json& ours, const std::string& what) {
  if (!state.contains(key) || state[key] != ours)
    throw Error(ErrorKind::Conflict,
                where + ": the checkpoint was written by another fit (" + what + " " +
                    (state.contains(key) ? state[key].dump() : std::string("missing")) +
                    ", this fit's is " + ours.dump() +
                    "); delete the folder to start over, or give another backup_dir");
}

// The shuffle generator from its state's text.
Rng rng_from_text(const std::string& text, const std::string& where) {
  Rng rng;
  try {
    rng.set_engine_state(text);
  } catch (const Error&) {
    throw Error(ErrorKind::Corrupt, where + ": shuffle_rng is not a generator's state");
  }
  return rng;
}

// The weights' shapes in order, non-trainable ones (moving statistics) included; their names
// hold per-process layer counters: not these.
std::string model_signature(Model& model) {
  std::string s;
  for (Variable* v : model.weights()) s += (s.empty() ? "" : " ") + shape_str(v->value.shape());
  // Which weights are frozen, by place (layer names hold per-process counters), and only when
  // some are, so earlier checkpoints keep their signature: another set pairs the optimizer's
  // slots with other variables.
  std::string frozen;
  size_t k = 0;
  for (const LayerPtr& l : model.layers())
    for (size_t i = 0, n = l->weights().size(); i < n; ++i, ++k)
      if (!l->trainable()) frozen += " " + std::to_string(k);
  return frozen.empty() ? s : s + " frozen:" + frozen;
}

}  // namespace

BackupAndRestore::BackupAndRestore(BackupAndRestoreOptions options) : o_(std::move(options)) {
  if (o_.backup_dir.empty())
    throw Error("BackupAndRestore: backup_dir is empty (expected a folder for the checkpoints)");
  if (o_.save_freq != "epoch")
    throw Error("BackupAndRestore: save_freq '" + o_.save_freq +
                "' is not supported (expected \"epoch\": Glia checkpoints at epoch ends only)");
}

std::string BackupAndRestore::latest_checkpoint(const std::string& backup_dir) {
  std::error_code ec;
  int64_t best = -1;
  fs::path found;
  for (auto it = fs::directory_iterator(backup_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const int64_t e = epoch_of(it->path().filename().string());
    std::error_code st;
    if (e > best && it->is_directory(st) && fs::is_regular_file(it->path() / kState, st) &&
        fs::is_regular_file(it->path() / kWeights, st)) {
      best = e;
      found = it->path();
    }
  }
  if (ec == std::errc::not_a_directory)
    throw Error(prefix(backup_dir) + ": not a folder (expected the checkpoints' folder)");
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error(errno_kind(ec.value()), prefix(backup_dir) + ": cannot read: " + ec.message());
  return found.string();
}

void BackupAndRestore::on_train_begin(const Logs&) {
  restored_epoch_ = 0;
  FitState* fit = model_ ? model_->fit_state() : nullptr;
  if (!fit) throw Error(ErrorKind::Internal, "BackupAndRestore: used outside Model::fit");
  // The rate this fit was started with (a schedule's rates are its own): a checkpoint of a fit
  // started with another one is refused rather than the caller's rate silently replaced.
  const Optimizer& opt = model_->optimizer();
  initial_learning_rate_ = opt.options().schedule ? "schedule" : json(opt.learning_rate()).dump();
  const std::string dir = latest_checkpoint(o_.backup_dir);
  if (dir.empty()) return;
  const std::string where = prefix(dir);
  json state;
  try {
    state = json::parse(formats::read_file((fs::path(dir) / kState).string(), kMaxStateBytes));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Corrupt, where + "/" + kState + ": not JSON (" + e.what() + ")");
  }
  try {
    if (!state.is_object() || state.value("format", "") != kFormat)
      throw Error(ErrorKind::Corrupt, where + "/" + kState + ": not a " + kFormat + " file");
    if (state.value("version", 0) != kVersion)
      throw Error(ErrorKind::Corrupt, where + "/" + kState + ": version " +
                                          state.value("version", json()).dump() +
                                          " (this Glia reads version 1)");
    check_same_fit(where, state, "seed", fit->seed, "seed");
    check_same_fit(where, state, "steps_per_epoch", params_.steps, "steps per epoch");
    check_same_fit(where, state, "optimizer", model_->optimizer().class_name(), "optimizer");
    check_same_fit(where, state, "variables", model_signature(*model_),
                   "variable shapes (and frozen layers)");
    check_same_fit(where, state, "initial_learning_rate", initial_learning_rate_,
                   "initial learning rate");
    const int epoch = state.at("epoch").get<int>();
    if (epoch < 1 || fs::path(dir).filename().string() != kPrefix + std::to_string(epoch))
      throw Error(ErrorKind::Corrupt, where + "/" + kState + ": epoch " + std::to_string(epoch) +
                                          " does not match the folder's name");
    const Rng rng = rng_from_text(state.at("shuffle_rng").get<std::string>(), where + "/" + kState);
    read_weights(*model_, fs::path(dir) / kWeights, state);
    fit->shuffle_rng = rng;
    fit->initial_epoch = epoch;
    restored_epoch_ = epoch;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Corrupt, where + "/" + kState + ": " + e.what());
  }
  if (params_.verbose > 0)
    std::printf("Restored the training state of epoch %d from %s\n", restored_epoch_, dir.c_str());
}

void BackupAndRestore::on_epoch_end(int epoch, const Logs&) {
  if (!o_.write || params_.rank != 0) return;  // data-parallel: every rank restores, one writes
  FitState* fit = model_ ? model_->fit_state() : nullptr;
  if (!fit) throw Error(ErrorKind::Internal, "BackupAndRestore: used outside Model::fit");
  const fs::path dir(o_.backup_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(errno_kind(ec.value()),
                prefix(o_.backup_dir) + ": cannot create the folder: " + ec.message());
  const int done = epoch + 1;
  const std::string name = kPrefix + std::to_string(done);
  const fs::path tmp = dir / (".tmp-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec)
    throw Error(errno_kind(ec.value()), prefix(tmp.string()) + ": cannot create: " + ec.message());
  try {
    Optimizer& opt = model_->optimizer();
    {
      formats::h5::File f = formats::h5::File::create((tmp / kWeights).string());
      formats::write_keras3_weights(*model_, f.root(), /*include_optimizer=*/true);
      f.close();
    }
    io::fsync_path(tmp / kWeights);
    json state = {{"format", kFormat},
                  {"version", kVersion},
                  {"epoch", done},
                  {"seed", fit->seed},
                  {"steps_per_epoch", params_.steps},
                  {"optimizer", opt.class_name()},
                  {"iterations", opt.iterations()},
                  {"variables", model_signature(*model_)},
                  {"initial_learning_rate", initial_learning_rate_},
                  {"shuffle_rng", fit->shuffle_rng.engine_state()}};
    if (!opt.options().schedule) state["learning_rate"] = opt.learning_rate();
    io::write_file_atomically(tmp / kState, state.dump(1) + "\n");
    io::fsync_path(tmp);
    const fs::path dest = dir / name;
    fs::remove_all(dest, ec);  // a checkpoint of the same epoch from an earlier try
    fs::rename(tmp, dest);
    io::fsync_path(dir);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(errno_kind(e.code().value()),
                prefix(o_.backup_dir) + ": writing the checkpoint of epoch " +
                    std::to_string(done) + " failed: " + e.code().message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  remove_others(dir, done);
}

void BackupAndRestore::on_train_end(const Logs&) {
  if (!o_.write || params_.rank != 0 || !o_.delete_checkpoint) return;
  const fs::path dir(o_.backup_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  remove_others(dir, -1);
  if (fs::is_empty(dir, ec) && !ec) fs::remove(dir, ec);
}

}  // namespace glia

// glia train: train any model described by a Keras file (model.json, .keras, .h5) on MNIST-layout
// IDX files, with no C++ to write, and save it in Keras' formats.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/model_io.hpp"
#include "glia/glia.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/saving.hpp"

namespace glia::cli {

namespace {

struct TrainArgs {
  std::string model, weights, data_folder, output = "outputs/model", optimizer, loss, metrics,
                                           output_format, checkpoint_dir, dtype_policy;
  std::vector<std::string> save;
  std::optional<double> learning_rate, validation_split;
  int64_t batch_size = 32;
  int epochs = 1, verbose = -1, threads = 0;
  uint64_t seed = 0;
  bool no_shuffle = false;
};

/// The compile options: the file's, with flags overriding them.
void compile_from_flags(LoadedModel& loaded, const TrainArgs& a) {
  Model& m = *loaded.model;
  CompileOptions o;
  if (m.compiled()) o = m.compile_options();
  bool fresh_optimizer = false;
  if (!a.optimizer.empty()) {
    o.optimizer = make_optimizer(a.optimizer, a.learning_rate);
    fresh_optimizer = true;
  } else if (!o.optimizer || o.optimizer_defaulted) {
    // Never a silent default: the user says which optimizer trains the model.
    throw Error(a.model + ": " +
                (m.compiled() ? "the compile_config names no optimizer"
                              : std::string("the model has no compile_config")) +
                "; pass --optimizer (sgd, rmsprop, adam or adamw)");
  } else if (a.learning_rate) {
    o.optimizer->set_learning_rate(*a.learning_rate);
  }
  if (!a.loss.empty())
    o.loss = Loss::parse(a.loss);
  else if (!m.compiled())
    o.loss = Loss::parse("categorical_crossentropy");
  if (!a.metrics.empty()) {
    o.metrics = metrics_flag(a.metrics);
  } else if (!m.compiled()) {
    o.metrics = {"accuracy"};
  }
  const bool changed = fresh_optimizer || !m.compiled() || !a.loss.empty() || !a.metrics.empty();
  if (changed) {
    m.compile(o);
    if (fresh_optimizer) {  // asked for: nothing to note about the file's state
      loaded.has_optimizer_state = false;
      loaded.optimizer_state_skipped.clear();
    }
  }
}

std::string shorten(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

/// Where the model is saved: each --save path, else model.json (+ model.h5) and model.keras in
/// --output. Checked before anything is loaded or trained.
std::vector<std::string> save_targets(const TrainArgs& a) {
  std::vector<std::string> targets = a.save;
  if (targets.empty())
    for (const char* file : {"model.json", "model.keras"})
      targets.push_back((std::filesystem::path(a.output) / file).string());
  check_save_paths(targets);
  return targets;
}

void run_train(const TrainArgs& a) {
  const std::vector<std::string> targets = save_targets(a);
  set_num_threads(a.threads);
  LoadOptions lo;
  lo.require_weights = false;  // a bare architecture trains from new weights
  lo.weights = a.weights;
  LoadedModel loaded = load_model(a.model, lo);
  note_weights(loaded);
  Model& model = *loaded.model;
  apply_dtype_policy(model, a.dtype_policy);
  if (!loaded.has_weights) model.initialize_weights(a.seed);
  compile_from_flags(loaded, a);
  const bool json_out = a.output_format == "json";
  const int verbose = a.verbose >= 0 ? a.verbose : json_out ? 0 : (::isatty(1) ? 1 : 2);
  FILE* info = json_out ? stderr : stdout;
  std::fprintf(info, "model: %s (%s, %lld parameters%s%s, %s)\n", a.model.c_str(),
               format_name(loaded.format).c_str(), static_cast<long long>(model.count_params()),
               loaded.has_weights ? ", weights loaded" : ", new weights",
               loaded.has_optimizer_state ? ", optimizer state restored" : "",
               policy_name(model.dtype_policy()).c_str());
  if (!loaded.optimizer_state_skipped.empty())
    std::fprintf(stderr,
                 "glia train: note: %s: optimizer state not restored: %s; training starts with a "
                 "fresh optimizer\n",
                 a.model.c_str(), loaded.optimizer_state_skipped.c_str());
  const LossKind loss = model.loss().kind;
  MnistData data = load_mnist_for(model, loss, a.data_folder);
  std::string command = "glia train --model " + a.model;
  if (!a.dtype_policy.empty()) command += " --dtype-policy " + a.dtype_policy;
  std::unique_ptr<platform::RunLogger> run =
      platform::RunLogger::from_environment("glia-train", command);
  if (run->online()) std::fprintf(info, "Run: %s\n", run->run_id().c_str());
  auto tracker = std::make_shared<LambdaCallback>();
  tracker->epoch_end = [&](int epoch, const Logs& logs) {
    for (const auto& [name, value] : logs) run->log(name, value, epoch);
    run->flush();
  };
  std::vector<CallbackPtr> callbacks = {tracker};
  if (!a.checkpoint_dir.empty() && a.checkpoint_dir != "none")  // restores before the others
    callbacks.insert(callbacks.begin(), std::make_shared<BackupAndRestore>(a.checkpoint_dir));
  FitOptions fit{.batch_size = a.batch_size,
                 .epochs = a.epochs,
                 .verbose = verbose,
                 .callbacks = callbacks,
                 .validation_split = a.validation_split.value_or(0.0),
                 .shuffle = !a.no_shuffle,
                 .seed = a.seed};
  History history = model.fit(data.train, fit);
  Logs test = model.evaluate(*data.test, {.batch_size = a.batch_size});
  for (const auto& [name, value] : test) run->log("test_" + name, value);
  SaveOptions so;
  so.reference_input = data.test_x_head(8);
  std::vector<std::string> saved;
  for (const std::string& path : targets) {
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec)
      throw Error(errno_kind(ec.value()),
                  path + ": cannot create the folder " + parent.string() + ": " + ec.message());
    save_model(model, path, so);
    for (const std::string& file : files_saved_for(path)) saved.push_back(file);
  }
  run->complete(true);
  if (json_out) {
    nlohmann::json out;
    out["model"] = a.model;
    out["parameters"] = model.count_params();
    out["dtype_policy"] = policy_name(model.dtype_policy());
    out["history"] = history.history;
    out["test"] = test;
    out["saved"] = saved;
    if (run->online()) out["run"] = run->run_id();
    print_json(out);
    return;
  }
  std::string line = "test:";
  for (const auto& [name, value] : test) line += " " + name + " " + shorten(value);
  std::printf("%s\nsaved: ", line.c_str());
  for (size_t i = 0; i < saved.size(); ++i) std::printf("%s%s", i ? ", " : "", saved[i].c_str());
  std::printf("\n");
}

}  // namespace

void register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a model described by a Keras file (model.json, .keras or .h5) on MNIST-layout IDX "
      "files and save it as model.json + model.h5 and model.keras");
  cmd->add_option(
         "--model", a->model,
         "model.json (architecture; its weights beside it are used when present, "
         "else new ones), a .keras archive or a full-model .h5; training continues from the "
         "file's weights and optimizer state")
      ->required();
  cmd->add_option("--weights", a->weights, "weights to start from, for a model.json config")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data-folder", a->data_folder,
                  "folder holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                  "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--epochs", a->epochs, "training epochs")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(a->epochs)>());
  cmd->add_option("--batch-size", a->batch_size, "mini-batch size")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(a->batch_size)>());
  cmd->add_option("--optimizer", a->optimizer,
                  "sgd, rmsprop, adam or adamw (default: the file's; required when the file's "
                  "compile_config names none)");
  cmd->add_option("--learning-rate", a->learning_rate, "learning rate (default: the file's)")
      ->check(glia::cli::positive_number());
  cmd->add_option("--loss", a->loss,
                  "loss name (default: the file's, else categorical_crossentropy)");
  cmd->add_option("--metrics", a->metrics,
                  "comma-separated metric names (default: the file's, else accuracy)");
  cmd->add_option("--seed", a->seed, "seed for new weights, shuffling and dropout")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(a->seed)>());
  cmd->add_flag("--no-shuffle", a->no_shuffle, "keep the samples in file order");
  cmd->add_option("--validation-split", a->validation_split,
                  "fraction of the last training samples held out for validation")
      ->check(CLI::Range(0.0, 0.99));
  auto* output = cmd->add_option("--output", a->output,
                                 "folder for model.json, model.h5 and model.keras (when --save "
                                 "is not given)")
                     ->capture_default_str();
  cmd->add_option("--save", a->save,
                  "save to this path instead (repeatable): .keras archive, .h5 full model, or "
                  ".json (+ weights in the .h5 of the same name)")
      ->excludes(output);  // --output would be ignored: say so

  cmd->add_option("--checkpoint-dir", a->checkpoint_dir,
                  "checkpoint the training state there at each epoch end and resume from it "
                  "(Keras' BackupAndRestore; removed when training ends; default: none)");
  cmd->add_option("--verbose", a->verbose,
                  "0 silent, 1 progress bar, 2 one line per epoch (default: 1 on a terminal)")
      ->check(CLI::Range(0, 2));
  cmd->add_option(
         "--threads", a->threads,
         "compute threads (0 = $GLIA_THREADS, else $OMP_NUM_THREADS, else all usable cores)")
      ->check(glia::cli::non_negative_int<decltype(a->threads)>());
  add_dtype_policy_option(cmd, a->dtype_policy);
  cmd->add_option("-o,--output-format", a->output_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([a] { run_train(*a); });
}

}  // namespace glia::cli

// The Keras-style example programs' shared body (keras_example.hpp).
#include "keras_example.hpp"
#include "cli/checks.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <vector>

#include "glia/distributed.hpp"
#include "glia/platform/chart.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/remote/remote.hpp"
#include "glia/saving.hpp"

namespace glia_examples {

namespace {

// Python's repr(float): the shortest text that reads back exactly, "1.0" rather than "1".
std::string py_float(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

struct Flags {
  std::string data_folder = "data";
  int64_t batch_size = 50;
  double learning_rate = 0.001;
  int epochs = 20, threads = 0, verbose = 2;
  uint64_t seed = 0;
  std::string model_dir = "outputs/model";
  std::string checkpoint_dir = "outputs/checkpoints";
  std::string backend = "cpu";
  std::string dtype_policy = "float32";
};

void add_flags(CLI::App& app, Flags& f, const ExampleSpec& spec) {
  app.add_option("--data-folder", f.data_folder, "folder holding the four MNIST IDX .gz files")
      ->capture_default_str();
  app.add_option("--batch-size", f.batch_size, "mini-batch size")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(f.batch_size)>());
  if (spec.add_options) spec.add_options(app);
  app.add_option("--learning-rate", f.learning_rate, spec.learning_rate_help)
      ->capture_default_str()
      ->check(glia::cli::positive_number());
  app.add_option("--epochs", f.epochs, "training epochs")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(f.epochs)>());
  app.add_option("--seed", f.seed, "seed for weights and shuffling")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(f.seed)>());
  app.add_option(
         "--threads", f.threads,
         "compute threads (0 = $GLIA_THREADS, else $OMP_NUM_THREADS, else all usable cores)")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(f.threads)>());
  app.add_option("--verbose", f.verbose, "0 silent, 1 progress bar, 2 one line per epoch")
      ->capture_default_str()
      ->check(CLI::Range(0, 2));
  app.add_option("--model-dir", f.model_dir,
                 "where to save model.json + model.h5 (as the sample does) and model.keras")
      ->capture_default_str();
  app.add_option("--checkpoint-dir", f.checkpoint_dir,
                 "checkpoint the training state there at each epoch end and resume from it when "
                 "started again (Keras' BackupAndRestore; removed when training ends; \"\" or "
                 "none: off)")
      ->capture_default_str();
  app.add_option("--backend", f.backend,
                 "compute backend: cpu, reference, or cuda when built with CUDA")
      ->capture_default_str();
  app.add_option("--dtype-policy", f.dtype_policy,
                 "Keras' global dtype policy: float32, or mixed_bfloat16 (bfloat16 matrix "
                 "products and convolutions on AVX512-BF16/AMX, float32 weights)")
      ->capture_default_str()
      ->check(CLI::IsMember(glia::dtype_policy_names()));
}

/// Trains, evaluates, logs and saves; throws on errors.
void train(const Flags& f, const ExampleSpec& spec, glia::platform::RunLogger& run) {
  // Under mpirun/srun the ranks train one model data-parallel (no flags needed): rank 0 prints,
  // tracks the run and saves the model; the others are silent (their errors still show).
  glia::Communicator* group = glia::distributed();
  const bool chief = !group || group->rank() == 0;
  if (!chief && !std::freopen("/dev/null", "w", stdout))
    throw glia::Error("cannot silence rank " + std::to_string(group->rank()) + "'s output");
  glia::set_num_threads(f.threads);
  glia::use_backend(f.backend);
  // keras.mixed_precision.set_global_policy(...) before the model is built, as in Keras.
  glia::mixed_precision::set_global_policy(f.dtype_policy);
  if (f.dtype_policy == "mixed_bfloat16" && !glia::default_backend()->native_bf16())
    std::printf(
        "note: mixed_bfloat16 is emulated on the %s backend (bfloat16 kernels are used only "
        "on CPUs with AVX512-BF16 or AMX): slower than float32\n",
        f.backend.c_str());
  const glia::MnistFiles files = glia::find_mnist_files(f.data_folder);
  std::printf("training dataset is stored here: %s\n", f.data_folder.c_str());
  const auto [train, test] = spec.load_data(files);

  std::shared_ptr<glia::Model> model = spec.make_model(f.seed);
  std::fputs(model->summary().c_str(), stdout);
  model->compile({.optimizer = spec.make_optimizer(f.learning_rate),
                  .loss = glia::Loss::parse("categorical_crossentropy"),
                  .metrics = {"accuracy"}});
  std::fflush(stdout);
  // What the seed's LogRunMetrics callback logs (validation loss and accuracy as lists), plus
  // every epoch log under its Keras name with step = epoch.
  auto log_metrics = std::make_shared<glia::LambdaCallback>();
  glia::platform::ChartSeries acc_series{"Accuracy", {}, {}}, loss_series{"Loss", {}, {}};
  log_metrics->epoch_end = [&](int epoch, const glia::Logs& logs) {
    run.log("Loss", logs.at("val_loss"));
    run.log("Accuracy", logs.at("val_accuracy"));
    for (auto* s : {&acc_series, &loss_series}) s->x.push_back(epoch);
    acc_series.y.push_back(logs.at("val_accuracy"));
    loss_series.y.push_back(logs.at("val_loss"));
    for (const auto& [name, value] : logs) run.log(name, value, epoch);
    run.flush();
  };
  // A killed run started again (glia job resume, a Slurm requeue) goes on from its last
  // completed epoch: the checkpoint callback comes first, so it restores before the others.
  std::vector<glia::CallbackPtr> callbacks = {log_metrics};
  if (!f.checkpoint_dir.empty() && f.checkpoint_dir != "none")
    callbacks.insert(callbacks.begin(), std::make_shared<glia::BackupAndRestore>(f.checkpoint_dir));
  model->fit(train, {.batch_size = f.batch_size,
                     .epochs = f.epochs,
                     .verbose = f.verbose,
                     .callbacks = callbacks,
                     .validation_data = test,
                     .seed = f.seed});
  glia::Logs score = model->evaluate(*test, {.batch_size = f.batch_size});
  std::printf("Test loss: %s\nTest accuracy: %s\n", py_float(score["loss"]).c_str(),
              py_float(score["accuracy"]).c_str());
  run.log("Final test loss", score["loss"]);
  run.log("Final test accuracy", score["accuracy"]);
  // The sample's model.to_json() + save_weights('model.h5'), plus a Keras 3 archive; each file
  // carries the first test images and their outputs, so a load can verify itself.
  if (!chief) return;  // the weights are identical on every rank: rank 0 saves them
  std::filesystem::create_directories(f.model_dir);
  glia::SaveOptions save_options;
  std::vector<int64_t> first(static_cast<size_t>(std::min<int64_t>(8, test->size())));
  for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<int64_t>(i);
  glia::Tensor ref_x, ref_y;
  test->gather(first, ref_x, ref_y);
  save_options.reference_input = ref_x;
  glia::save_model(*model, f.model_dir + "/model.json", save_options);
  glia::save_model(*model, f.model_dir + "/model.keras", save_options);
  std::printf("model saved in %s (model.json, model.h5, model.keras)\n", f.model_dir.c_str());
  if (run.online()) {  // the seed's matplotlib figure, drawn with cairo
    const auto chart = run.scratch_file("accuracy_vs_loss.png");
    glia::platform::write_line_chart(
        {acc_series, loss_series},
        {.title = spec.chart_title + " (" + std::to_string(f.epochs) + " epochs)",
         .x_label = "epoch",
         .width = 600,
         .height = 300},
        chart.string());
    run.log_image("Accuracy vs Loss", chart);
  }
}

}  // namespace

int run_keras_example(int argc, char** argv, const ExampleSpec& spec) {
  glia::remote::enable();  // a remote workspace's runs are logged to its server
  CLI::App app{spec.description, spec.program};
  // Like argparse: an option given twice takes its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  Flags f;
  f.batch_size = spec.batch_size;
  f.learning_rate = spec.learning_rate;
  f.epochs = spec.epochs;
  add_flags(app, f, spec);
  app.set_version_flag("--version", spec.program + " " + glia::version());
  app.failure_message([&spec](const CLI::App*, const CLI::Error& e) {
    return spec.program + ": error: " + std::string(e.what()) + " (try --help)\n";
  });
  CLI11_PARSE(app, argc, argv);

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  std::unique_ptr<glia::platform::RunLogger> run;
  try {
    // Tracked as a run when started in a workspace (or by a job); offline otherwise.
    run = glia::platform::RunLogger::from_environment(spec.run_name, command_line);
    if (run->online()) std::printf("Run: %s\n", run->run_id().c_str());
    train(f, spec, *run);
    run->complete(true);
    if (run->online()) std::printf("Metrics: glia run metrics %s\n", run->run_id().c_str());
  } catch (const std::exception& e) {  // glia::Error, and e.g. std::filesystem's: not a crash
    std::fprintf(stderr, "%s: error: %s\n", spec.program.c_str(), e.what());
    if (run) run->complete(false, e.what());
    glia::abort_distributed(1);  // the other ranks may be waiting for this one
    return 1;
  }
  return 0;
}

}  // namespace glia_examples

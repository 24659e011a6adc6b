// glia-keras-mnist: the Azure ML sample's keras_mnist.py, written against Glia's C++ API.
// Same flags, defaults and behaviour: a 784-n1-n2-10 MLP with RMSprop on MNIST-layout IDX files.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "glia/distributed.hpp"
#include "glia/glia.hpp"
#include "glia/platform/chart.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/remote/remote.hpp"
#include "glia/saving.hpp"

namespace {

// Python's repr(float): the shortest text that reads back exactly, "1.0" rather than "1".
std::string py_float(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  glia::remote::enable();  // a remote workspace's runs are logged to its server
  CLI::App app{"Train the Keras MNIST MLP (Dense-relu, Dense-relu, Dense-softmax) with RMSprop.",
               "glia-keras-mnist"};
  // Like argparse: an option given twice takes its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string data_folder = "data";
  int64_t batch_size = 50, n_h1 = 100, n_h2 = 100;
  double learning_rate = 0.001;
  int epochs = 20, threads = 0, verbose = 2;
  uint64_t seed = 0;
  app.add_option("--data-folder", data_folder, "folder holding the four MNIST IDX .gz files")
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--first-layer-neurons", n_h1, "units of the first hidden layer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--second-layer-neurons", n_h2, "units of the second hidden layer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--learning-rate", learning_rate, "RMSprop learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", epochs, "training epochs")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", seed, "seed for weights and shuffling")->capture_default_str();
  app.add_option(
         "--threads", threads,
         "compute threads (0 = $GLIA_THREADS, else $OMP_NUM_THREADS, else all usable cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--verbose", verbose, "0 silent, 1 progress bar, 2 one line per epoch")
      ->capture_default_str()
      ->check(CLI::Range(0, 2));
  std::string model_dir = "outputs/model";
  app.add_option("--model-dir", model_dir,
                 "where to save model.json + model.h5 (as the sample does) and model.keras")
      ->capture_default_str();
  std::string checkpoint_dir = "outputs/checkpoints";
  app.add_option("--checkpoint-dir", checkpoint_dir,
                 "checkpoint the training state there at each epoch end and resume from it when "
                 "started again (Keras' BackupAndRestore; removed when training ends; \"\" or "
                 "none: off)")
      ->capture_default_str();
  std::string backend = "cpu";
  app.add_option("--backend", backend,
                 "compute backend: cpu, reference, or cuda when built with CUDA")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("glia-keras-mnist ") + glia::version());
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "glia-keras-mnist: error: " + std::string(e.what()) + " (try --help)\n";
  });
  CLI11_PARSE(app, argc, argv);

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  std::unique_ptr<glia::platform::RunLogger> run;
  try {
    // Tracked as a run when started in a workspace (or by a job); offline otherwise.
    run = glia::platform::RunLogger::from_environment("keras-mnist", command_line);
    if (run->online()) std::printf("Run: %s\n", run->run_id().c_str());
    // Under mpirun/srun the ranks train one model data-parallel (no flags needed): rank 0 prints,
    // tracks the run and saves the model; the others are silent (their errors still show).
    glia::Communicator* group = glia::distributed();
    const bool chief = !group || group->rank() == 0;
    if (!chief && !std::freopen("/dev/null", "w", stdout))
      throw glia::Error("cannot silence rank " + std::to_string(group->rank()) + "'s output");
    glia::set_num_threads(threads);
    glia::use_backend(backend);
    const glia::MnistFiles files = glia::find_mnist_files(data_folder);
    std::printf("training dataset is stored here: %s\n", data_folder.c_str());
    auto train = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.train_images),
                                                           glia::read_idx(files.train_labels), 10);
    auto test = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.test_images),
                                                          glia::read_idx(files.test_labels), 10);
    std::printf("(%lld, 784)\n(%lld, 10)\n(%lld, 784)\n(%lld, 10)\n",
                static_cast<long long>(train->size()), static_cast<long long>(train->size()),
                static_cast<long long>(test->size()), static_cast<long long>(test->size()));

    auto model = std::make_shared<glia::Sequential>();
    model->add(std::make_shared<glia::InputLayer>(glia::Shape{784}));
    model->add(std::make_shared<glia::Dense>(n_h1, glia::DenseOptions{.activation = "relu"}));
    model->add(std::make_shared<glia::Dense>(n_h2, glia::DenseOptions{.activation = "relu"}));
    model->add(std::make_shared<glia::Dense>(10, glia::DenseOptions{.activation = "softmax"}));
    model->initialize_weights(seed);
    std::fputs(model->summary().c_str(), stdout);

    model->compile({.optimizer = std::make_shared<glia::RMSprop>(
                        glia::OptimizerOptions{.learning_rate = learning_rate}),
                    .loss = glia::Loss::parse("categorical_crossentropy"),
                    .metrics = {"accuracy"}});
    std::fflush(stdout);
    // What the seed's LogRunMetrics callback logs (validation loss and accuracy as lists), plus
    // every epoch log under its Keras name with step = epoch.
    auto log_metrics = std::make_shared<glia::LambdaCallback>();
    glia::platform::ChartSeries acc_series{"Accuracy", {}, {}}, loss_series{"Loss", {}, {}};
    log_metrics->epoch_end = [&](int epoch, const glia::Logs& logs) {
      run->log("Loss", logs.at("val_loss"));
      run->log("Accuracy", logs.at("val_accuracy"));
      for (auto* s : {&acc_series, &loss_series}) s->x.push_back(epoch);
      acc_series.y.push_back(logs.at("val_accuracy"));
      loss_series.y.push_back(logs.at("val_loss"));
      for (const auto& [name, value] : logs) run->log(name, value, epoch);
      run->flush();
    };
    // A killed run started again (glia job resume, a Slurm requeue) goes on from its last
    // completed epoch: the checkpoint callback comes first, so it restores before the others.
    std::vector<glia::CallbackPtr> callbacks = {log_metrics};
    if (!checkpoint_dir.empty() && checkpoint_dir != "none")
      callbacks.insert(callbacks.begin(), std::make_shared<glia::BackupAndRestore>(checkpoint_dir));
    model->fit(train, {.batch_size = batch_size,
                       .epochs = epochs,
                       .verbose = verbose,
                       .callbacks = callbacks,
                       .validation_data = test,
                       .seed = seed});
    glia::Logs score = model->evaluate(*test, {.batch_size = batch_size});
    std::printf("Test loss: %s\nTest accuracy: %s\n", py_float(score["loss"]).c_str(),
                py_float(score["accuracy"]).c_str());
    run->log("Final test loss", score["loss"]);
    run->log("Final test accuracy", score["accuracy"]);
    // The sample's model.to_json() + save_weights('model.h5'), plus a Keras 3 archive; each file
    // carries the first test images and their outputs, so a load can verify itself.
    if (!chief) {  // the weights are identical on every rank: rank 0 saves them
      run->complete(true);
      return 0;
    }
    std::filesystem::create_directories(model_dir);
    glia::SaveOptions save_options;
    std::vector<int64_t> first(8);
    for (int64_t i = 0; i < 8; ++i) first[static_cast<size_t>(i)] = i;
    glia::Tensor ref_x, ref_y;
    test->gather(first, ref_x, ref_y);
    save_options.reference_input = ref_x;
    glia::save_model(*model, model_dir + "/model.json", save_options);
    glia::save_model(*model, model_dir + "/model.keras", save_options);
    std::printf("model saved in %s (model.json, model.h5, model.keras)\n", model_dir.c_str());
    if (run->online()) {  // the seed's matplotlib figure, drawn with cairo
      const auto chart = run->scratch_file("accuracy_vs_loss.png");
      glia::platform::write_line_chart(
          {acc_series, loss_series},
          {.title = "Fashion MNIST with Keras MLP (" + std::to_string(epochs) + " epochs)",
           .x_label = "epoch",
           .width = 600,
           .height = 300},
          chart.string());
      run->log_image("Accuracy vs Loss", chart);
    }
    run->complete(true);
    if (run->online()) std::printf("Metrics: glia run metrics %s\n", run->run_id().c_str());
  } catch (const glia::Error& e) {
    std::fprintf(stderr, "glia-keras-mnist: error: %s\n", e.what());
    if (run) run->complete(false, e.what());
    glia::abort_distributed(1);  // the other ranks may be waiting for this one
    return 1;
  } catch (const std::exception& e) {  // e.g. std::filesystem's: not a crash (std::terminate)
    std::fprintf(stderr, "glia-keras-mnist: error: %s\n", e.what());
    if (run) run->complete(false, e.what());
    glia::abort_distributed(1);
    return 1;
  }
  return 0;
}

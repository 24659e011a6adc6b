// What the Keras-style example programs (glia-keras-mnist, glia-keras-cnn) share: the Azure ML
// sample's flags and behaviour around one model. A program names its model, data and optimizer;
// run_keras_example parses the flags, tracks the run (in a workspace or a job), trains with
// checkpoints (BackupAndRestore), evaluates, logs the sample's metrics and chart, and saves the
// model as model.json + model.h5 and model.keras. Data-parallel under mpirun/srun.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "glia/glia.hpp"

namespace glia_examples {

struct ExampleSpec {
  std::string program;      // "glia-keras-mnist": messages, --version
  std::string description;  // --help's first line
  std::string run_name;     // the tracked run's name ("keras-mnist")
  std::string chart_title;  // the "Accuracy vs Loss" image's title, before " (N epochs)"
  // The flags' defaults.
  int64_t batch_size = 50;
  double learning_rate = 0.001;
  int epochs = 20;
  std::string learning_rate_help = "learning rate";
  /// Adds the program's own flags (before parsing).
  std::function<void(CLI::App&)> add_options;
  /// Reads the training and test sets from the four IDX files (and prints what the sample
  /// prints about them).
  std::function<std::pair<glia::DatasetPtr, glia::DatasetPtr>(const glia::MnistFiles&)> load_data;
  /// The model, built, with weights drawn from the seed.
  std::function<std::shared_ptr<glia::Model>(uint64_t seed)> make_model;
  std::function<std::shared_ptr<glia::Optimizer>(double learning_rate)> make_optimizer;
};

/// The whole program: returns main's exit code (0, 1 on an error, CLI11's on bad usage).
int run_keras_example(int argc, char** argv, const ExampleSpec& spec);

}  // namespace glia_examples

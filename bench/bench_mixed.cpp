// One training run of the seed MLP (batch 256, RMSprop) or the examples/keras-cnn CNN (batch 64,
// Adam) under a dtype policy (float32 or mixed_bfloat16), for bench/mixed_precision.sh: the
// median epoch time (the first epoch left out) and the final test accuracy, as one JSON line.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_stats.hpp"
#include "cli/checks.hpp"
#include "cnn_model.hpp"
#include "glia/glia.hpp"

namespace {

using glia_bench::median;

std::shared_ptr<glia::Model> seed_mlp(uint64_t seed) {
  auto model = std::make_shared<glia::Sequential>();
  model->add(std::make_shared<glia::InputLayer>(glia::Shape{784}));
  model->add(std::make_shared<glia::Dense>(300, glia::DenseOptions{.activation = "relu"}));
  model->add(std::make_shared<glia::Dense>(100, glia::DenseOptions{.activation = "relu"}));
  model->add(std::make_shared<glia::Dense>(10, glia::DenseOptions{.activation = "softmax"}));
  model->initialize_weights(seed);
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train the seed MLP or the CNN under a dtype policy: epoch time and accuracy"};
  std::string data_folder = "/usr/share/datasets/fashion-mnist", model_name = "mlp";
  std::string policy = "float32";
  int64_t batch_size = 0;
  int threads = 2, epochs = 5;
  uint64_t seed = 1;
  app.add_option("--model", model_name, "mlp or cnn")
      ->capture_default_str()
      ->check(CLI::IsMember({"mlp", "cnn"}));
  app.add_option("--dtype-policy", policy)
      ->capture_default_str()
      ->check(CLI::IsMember(glia::dtype_policy_names()));
  app.add_option("--data-folder", data_folder)->capture_default_str();
  app.add_option("--batch-size", batch_size, "default: 256 (mlp), 64 (cnn)")
      ->check(glia::cli::non_negative_int<decltype(batch_size)>());
  app.add_option("--threads", threads)
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(threads)>());
  app.add_option("--epochs", epochs, "epochs trained; the median leaves out the first")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  app.add_option("--seed", seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  glia::set_num_threads(threads);
  glia::mixed_precision::set_global_policy(policy);
  const bool cnn = model_name == "cnn";
  if (batch_size == 0) batch_size = cnn ? 64 : 256;

  auto files = glia::find_mnist_files(data_folder);
  std::shared_ptr<glia::ImageClassDataset> train, test;
  if (cnn) {
    train = glia_examples::image_dataset(glia::read_idx(files.train_images),
                                         glia::read_idx(files.train_labels));
    test = glia_examples::image_dataset(glia::read_idx(files.test_images),
                                        glia::read_idx(files.test_labels));
  } else {
    train = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.train_images),
                                                      glia::read_idx(files.train_labels), 10);
    test = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.test_images),
                                                     glia::read_idx(files.test_labels), 10);
  }
  std::shared_ptr<glia::Model> model =
      cnn ? std::shared_ptr<glia::Model>(glia_examples::make_cnn(seed)) : seed_mlp(seed);
  model->compile(
      {.optimizer = cnn ? glia::make_optimizer("adam", 0.001)
                        : std::shared_ptr<glia::Optimizer>(std::make_shared<glia::RMSprop>()),
       .loss = glia::Loss::parse("categorical_crossentropy"),
       .metrics = {"accuracy"}});
  const std::vector<double> epoch_s =
      glia_bench::timed_fit(*model, train, batch_size, epochs, seed);
  std::vector<double> measured(epoch_s.begin() + 1, epoch_s.end());
  glia::Logs score = model->evaluate(*test, {.batch_size = 1000});
  std::printf(
      "{\"model\": \"%s\", \"dtype_policy\": \"%s\", \"native_bf16\": %s, \"batch_size\": %lld, "
      "\"threads\": %d, \"epochs\": %d, \"seed\": %llu, \"median_epoch_s\": %.4f, "
      "\"test_accuracy\": %.4f, \"test_loss\": %.4f}\n",
      model_name.c_str(), policy.c_str(), glia::default_backend()->native_bf16() ? "true" : "false",
      static_cast<long long>(batch_size), threads, epochs, static_cast<unsigned long long>(seed),
      median(measured), score["accuracy"], score["loss"]);
  return 0;
}

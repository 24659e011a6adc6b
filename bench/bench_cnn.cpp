// Epoch time of the examples/keras-cnn CNN in Glia (Model::fit, Adam, categorical
// cross-entropy) next to its oneDNN floor (cnn_floor.hpp: the same epoch's convolutions and
// GEMMs alone), and the final test accuracy. Prints one JSON line.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_stats.hpp"
#include "cli/checks.hpp"
#include "cnn_floor.hpp"
#include "cnn_model.hpp"
#include "glia/glia.hpp"

namespace {

using glia_bench::median;

using Clock = std::chrono::steady_clock;

std::string json_list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", v[i]);
    s += buf;
  }
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark the Fashion-MNIST CNN: Glia's epoch time against its oneDNN floor"};
  std::string data_folder = "/usr/share/datasets/fashion-mnist";
  int64_t batch_size = 64;
  int threads = 2, epochs = 5;
  uint64_t seed = 1;
  bool floor_only = false, freeze_base = false;
  app.add_option("--data-folder", data_folder)->capture_default_str();
  app.add_option("--batch-size", batch_size)
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(batch_size)>());
  app.add_option("--threads", threads)
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(threads)>());
  app.add_option("--epochs", epochs,
                 "epochs trained; the median leaves out the first (primitive creation)")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(epochs)>());
  app.add_option("--seed", seed)->capture_default_str();
  app.add_flag("--floor-only", floor_only, "time only the oneDNN floor");
  app.add_flag("--freeze-base", freeze_base,
               "freeze the Conv2D and BatchNormalization layers (fine-tuning a new head)");
  CLI11_PARSE(app, argc, argv);
  glia::set_num_threads(threads);

  auto files = glia::find_mnist_files(data_folder);
  auto train = glia_examples::image_dataset(glia::read_idx(files.train_images),
                                            glia::read_idx(files.train_labels));
  auto test = glia_examples::image_dataset(glia::read_idx(files.test_images),
                                           glia::read_idx(files.test_labels));
  const int64_t n = train->size();

  auto model = glia_examples::make_cnn(seed);
  // The floor's shapes, read from the built model: each Conv2D's input, filters, kernel and
  // padding, each Dense's input and units. The first layer needs no input gradient.
  std::vector<glia_bench::FloorConv> convs;
  std::vector<glia_bench::FloorDense> dense;
  for (const glia::LayerPtr& layer : model->layers()) {
    const bool input_gradient = !convs.empty() || !dense.empty();
    if (auto* conv = dynamic_cast<glia::Conv2D*>(layer.get())) {
      const glia::Shape& in = conv->input_shapes().at(0);
      const int64_t k = conv->kernel_size().at(0);
      const auto& o = conv->options();
      const auto ones = [](const std::vector<int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [](int64_t x) { return x == 1; });
      };
      if (conv->kernel_size().at(1) != k || conv->padding() == glia::ConvPadding::causal ||
          !ones(o.strides) || !ones(o.dilation_rate))
        throw glia::Error(
            "the floor covers square kernels, stride 1, no dilation, valid or same padding");
      convs.push_back({in.at(0), in.at(1), in.at(2), conv->filters(), k,
                       conv->padding() == glia::ConvPadding::same ? (k - 1) / 2 : 0,
                       input_gradient});
    } else if (auto* d = dynamic_cast<glia::Dense*>(layer.get())) {
      dense.push_back({d->input_shapes().at(0).back(), d->units(), input_gradient});
    }
  }
  std::vector<double> floors;
  std::vector<glia_bench::FloorOp> ops;
  for (int r = 0; r < 3; ++r) {  // the median of three epochs; the breakdown of the last
    ops = glia_bench::floor_epoch(convs, dense, n, batch_size);
    double total = 0.0;
    for (const auto& op : ops) total += op.seconds;
    floors.push_back(total);
  }
  const double f = median(floors);
  std::string breakdown = "{";
  for (size_t i = 0; i < ops.size(); ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s\"%s\": %.4f", i ? ", " : "", ops[i].name.c_str(),
                  ops[i].seconds);
    breakdown += buf;
  }
  breakdown += "}";
  if (floor_only) {
    std::printf(
        "{\"peer\": \"floor\", \"model\": \"cnn\", \"batch_size\": %lld, \"threads\": %d, "
        "\"floor_epoch_s\": %.4f, \"floor_ops_s\": %s}\n",
        static_cast<long long>(batch_size), threads, f, breakdown.c_str());
    return 0;
  }

  if (freeze_base)
    for (const glia::LayerPtr& layer : model->layers())
      if (dynamic_cast<glia::Conv2D*>(layer.get()) ||
          dynamic_cast<glia::BatchNormalization*>(layer.get()))
        layer->set_trainable(false);
  model->compile({.optimizer = std::make_shared<glia::Adam>(),
                  .loss = glia::Loss::parse("categorical_crossentropy"),
                  .metrics = {"accuracy"}});
  const std::vector<double> epoch_s =
      glia_bench::timed_fit(*model, train, batch_size, epochs, seed);
  std::vector<double> steady(epoch_s.begin() + (epoch_s.size() > 1 ? 1 : 0), epoch_s.end());
  const auto t0 = Clock::now();
  glia::Logs score = model->evaluate(*test, {.batch_size = 1000});
  const double eval_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double g = median(steady);
  std::printf(
      "{\"peer\": \"glia\", \"model\": \"cnn\", \"version\": \"%s\", \"batch_size\": %lld, "
      "\"threads\": %d, \"epochs\": %d, \"epoch_seconds\": %s, \"median_epoch_s\": %.4f, "
      "\"samples_per_s\": %.1f, \"floor_epoch_s\": %.4f, \"floor_ops_s\": %s, "
      "\"ratio_to_floor\": %.3f, \"test_pass_s\": %.4f, \"test_accuracy\": %.4f, "
      "\"test_loss\": %.4f, \"frozen_base\": %s}\n",
      glia::version(), static_cast<long long>(batch_size), threads, epochs,
      json_list(epoch_s).c_str(), g, n / g, f, breakdown.c_str(), g / f, eval_s, score["accuracy"],
      score["loss"], freeze_base ? "true" : "false");
  return 0;
}

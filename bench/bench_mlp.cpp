// Epoch time of the seed's MLP (784-300-100-10, RMSprop) in Glia, next to its floor: the same
// epoch's eight GEMMs (oneDNN sgemm) plus the RMSprop update as a bare loop, with nothing else.
// Prints one JSON line per measurement.
#include <dnnl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "bench_stats.hpp"
#include "glia/glia.hpp"

namespace {

using glia_bench::median;

using Clock = std::chrono::steady_clock;

void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

// One epoch of the floor: per step, forward (3 GEMMs), weight gradients (3), input gradients (2),
// then the RMSprop update over every parameter.
double floor_epoch(int64_t n, int64_t bs) {
  const int64_t d[4] = {784, 300, 100, 10};
  std::vector<float> x(bs * 784, 0.5f), h[4], g[4], w[3], dw[3], v[3];
  for (int l = 0; l < 4; ++l) h[l].assign(bs * d[l], 0.1f), g[l].assign(bs * d[l], 0.01f);
  for (int l = 0; l < 3; ++l)
    w[l].assign(d[l] * d[l + 1], 0.01f), dw[l].assign(d[l] * d[l + 1], 0.001f),
        v[l].assign(d[l] * d[l + 1], 0.0f);
  const float lr = 1e-3f, rho = 0.9f, eps = 1e-7f;
  auto t0 = Clock::now();
  for (int64_t s = 0; s < n / bs; ++s) {
    const float* in = x.data();
    for (int l = 0; l < 3; ++l) {
      sgemm('N', 'N', bs, d[l + 1], d[l], in, d[l], w[l].data(), d[l + 1], h[l + 1].data(),
            d[l + 1]);
      in = h[l + 1].data();
    }
    for (int l = 2; l >= 0; --l) {
      const float* a = l == 0 ? x.data() : h[l].data();
      sgemm('T', 'N', d[l], d[l + 1], bs, a, d[l], g[l + 1].data(), d[l + 1], dw[l].data(),
            d[l + 1]);
      if (l > 0)
        sgemm('N', 'T', bs, d[l], d[l + 1], g[l + 1].data(), d[l + 1], w[l].data(), d[l + 1],
              g[l].data(), d[l]);
    }
    for (int l = 0; l < 3; ++l) {
      float *wp = w[l].data(), *gp = dw[l].data(), *vp = v[l].data();
      const int64_t m = static_cast<int64_t>(w[l].size());
#pragma omp parallel for simd schedule(static) if (m > 32768)
      for (int64_t i = 0; i < m; ++i) {
        vp[i] = rho * vp[i] + (1 - rho) * gp[i] * gp[i];
        wp[i] -= lr * gp[i] / std::sqrt(vp[i] + eps);
      }
    }
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark the seed's MLP: Glia's epoch time against the GEMM+update floor"};
  std::string data_folder = "/usr/share/datasets/fashion-mnist";
  int64_t batch_size = 50;
  int threads = 2, epochs = 5;
  app.add_option("--data-folder", data_folder)->capture_default_str();
  app.add_option("--batch-size", batch_size)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--epochs", epochs, "epochs measured (median reported)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  glia::set_num_threads(threads);

  auto files = glia::find_mnist_files(data_folder);
  auto train = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.train_images),
                                                         glia::read_idx(files.train_labels), 10);
  auto test = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.test_images),
                                                        glia::read_idx(files.test_labels), 10);
  const int64_t n = train->size();

  std::vector<double> floors;
  floor_epoch(n, batch_size);  // warm-up
  for (int e = 0; e < epochs; ++e) floors.push_back(floor_epoch(n, batch_size));

  glia::Sequential model;
  model.add(std::make_shared<glia::InputLayer>(glia::Shape{784}));
  model.add(std::make_shared<glia::Dense>(300, glia::DenseOptions{.activation = "relu"}));
  model.add(std::make_shared<glia::Dense>(100, glia::DenseOptions{.activation = "relu"}));
  model.add(std::make_shared<glia::Dense>(10, glia::DenseOptions{.activation = "softmax"}));
  model.initialize_weights(1);
  model.compile({.optimizer = std::make_shared<glia::RMSprop>(),
                 .loss = glia::Loss::parse("categorical_crossentropy"),
                 .metrics = {"accuracy"}});
  std::vector<double> glia_epochs;
  Clock::time_point start;
  auto timer = std::make_shared<glia::LambdaCallback>();
  timer->epoch_begin = [&](int, const glia::Logs&) { start = Clock::now(); };
  timer->batch_end = [&](int64_t b, const glia::Logs&) {
    if (b + 1 == (n + batch_size - 1) / batch_size)
      glia_epochs.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  };
  model.fit(train, {.batch_size = batch_size,
                    .epochs = epochs + 1,
                    .verbose = 0,
                    .callbacks = {timer},
                    .seed = 1});
  glia_epochs.erase(glia_epochs.begin());  // the first epoch warms caches and the thread pool
  auto t0 = Clock::now();
  glia::Logs score = model.evaluate(*test, {.batch_size = 1000});
  double eval_s = std::chrono::duration<double>(Clock::now() - t0).count();

  const double f = median(floors), g = median(glia_epochs);
  std::printf(
      "{\"peer\": \"glia\", \"batch_size\": %lld, \"threads\": %d, \"epochs\": %d, "
      "\"floor_epoch_s\": %.4f, \"median_epoch_s\": %.4f, \"ratio_to_floor\": %.3f, "
      "\"samples_per_s\": %.0f, \"test_pass_s\": %.4f, \"test_accuracy\": %.4f}\n",
      static_cast<long long>(batch_size), threads, epochs, f, g, g / f, n / g, eval_s,
      score["accuracy"]);
  return 0;
}

// Data-parallel scaling of the seed's MLP (784-300-100-10, RMSprop): run alone, or under
// `mpirun -np N`, with `--batch-per-rank` rows per rank per step (the global batch is N times
// that). Rank 0 prints one JSON line: samples/s, step time, and the gradient allreduce's bytes,
// wait (time blocked after backward) and span (first bucket started -> last done) per step.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "glia/glia.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Data-parallel scaling of the seed's MLP (run under mpirun for N ranks)"};
  std::string data_folder = "/usr/share/datasets/fashion-mnist";
  int64_t batch_per_rank = 256, bucket_bytes = 0;
  int threads = 1, epochs = 3;
  app.add_option("--data-folder", data_folder, "folder holding the four MNIST-layout IDX files")
      ->capture_default_str();
  app.add_option("--batch-per-rank", batch_per_rank,
                 "rows per rank per step (the global batch is this times the ranks)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "compute threads per rank (0: the default count)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--epochs", epochs, "epochs measured (after one warm-up epoch)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--bucket-bytes", bucket_bytes, "gradient bucket size (0: the default)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    glia::Communicator* group = glia::distributed();
    const int ranks = group ? group->size() : 1, rank = group ? group->rank() : 0;
    glia::set_num_threads(threads);
    auto files = glia::find_mnist_files(data_folder);
    auto train = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.train_images),
                                                           glia::read_idx(files.train_labels), 10);
    glia::Sequential model;
    model.add(std::make_shared<glia::InputLayer>(glia::Shape{784}));
    model.add(std::make_shared<glia::Dense>(300, glia::DenseOptions{.activation = "relu"}));
    model.add(std::make_shared<glia::Dense>(100, glia::DenseOptions{.activation = "relu"}));
    model.add(std::make_shared<glia::Dense>(10, glia::DenseOptions{.activation = "softmax"}));
    model.initialize_weights(1);
    model.compile({.optimizer = std::make_shared<glia::RMSprop>(),
                   .loss = glia::Loss::parse("categorical_crossentropy"),
                   .metrics = {"accuracy"}});
    glia::FitOptions o{.batch_size = batch_per_rank * ranks, .epochs = 1, .verbose = 0, .seed = 1};
    o.bucket_bytes = bucket_bytes;
    model.fit(train, o);  // warm-up: caches, thread pool, MPI connections
    o.epochs = epochs;
    model.fit(train, o);
    const glia::FitStats& s = model.last_fit_stats();
    const double samples = static_cast<double>(train->size()) * epochs;
    if (rank == 0)
      std::printf(
          "{\"ranks\": %d, \"threads_per_rank\": %d, \"batch_per_rank\": %lld, \"steps\": %lld, "
          "\"samples_per_s\": %.1f, \"step_ms\": %.3f, \"buckets\": %lld, "
          "\"allreduce_bytes_per_step\": %lld, \"allreduce_wait_ms\": %.3f, "
          "\"allreduce_span_ms\": %.3f, \"params\": %lld}\n",
          ranks, threads, static_cast<long long>(batch_per_rank), static_cast<long long>(s.steps),
          samples / s.seconds, 1e3 * s.seconds / static_cast<double>(s.steps),
          static_cast<long long>(s.buckets), static_cast<long long>(s.allreduce_bytes),
          s.allreduce_wait_ms, s.allreduce_span_ms, static_cast<long long>(model.count_params()));
  } catch (const glia::Error& e) {
    std::fprintf(stderr, "glia_bench_scaling: error: %s\n", e.what());
    glia::abort_distributed(1);
    return 1;
  }
  return 0;
}

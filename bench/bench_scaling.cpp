// Data-parallel scaling of the seed's MLP (784-300-100-10, RMSprop): run alone, or under
// `mpirun -np N`, with `--batch-per-rank` rows per rank per step (the global batch is N times
// that). Rank 0 prints one JSON line: samples/s, step time, and the gradient allreduce's bytes,
// wait (time blocked after backward) and span (first bucket started -> last done) per step.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <vector>

#include "cli/checks.hpp"
#include "glia/glia.hpp"

namespace {

// The state of the link between the ranks: the median time of `calls` barrier-aligned blocking
// allreduces of `elements` floats (the gradients' size). On a VM it moves with the host's
// placement of the virtual CPUs, independently of Glia, so it is printed beside each run.
double link_ms(glia::Communicator& group, int64_t elements, int calls) {
  std::vector<float> data(static_cast<size_t>(elements), 1.0f);
  std::vector<double> ms;
  for (int i = 0; i < calls; ++i) {
    std::fill(data.begin(), data.end(), 1.0f);  // written first, as the backward writes them
    group.barrier();
    const auto t0 = std::chrono::steady_clock::now();
    group.allreduce_sum(std::span<float>(data));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + calls / 2, ms.end());
  return ms[static_cast<size_t>(calls / 2)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Data-parallel scaling of the seed's MLP (run under mpirun for N ranks)"};
  std::string data_folder = "/usr/share/datasets/fashion-mnist";
  int64_t batch_per_rank = 256, bucket_bytes = 0;
  int threads = 1, epochs = 3, probe_calls = 200;
  app.add_option("--data-folder", data_folder, "folder holding the four MNIST-layout IDX files")
      ->capture_default_str();
  app.add_option("--batch-per-rank", batch_per_rank,
                 "rows per rank per step (the global batch is this times the ranks)")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(batch_per_rank)>());
  app.add_option("--threads", threads, "compute threads per rank (0: the default count)")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(threads)>());
  app.add_option("--epochs", epochs, "epochs measured (after one warm-up epoch)")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(epochs)>());
  app.add_option("--bucket-bytes", bucket_bytes, "gradient bucket size (0: the default)")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(bucket_bytes)>());
  app.add_option("--probe-calls", probe_calls,
                 "blocking allreduces of the gradients' size timed before and after the "
                 "measured epochs (ranks > 1; 0: none)")
      ->capture_default_str()
      ->check(glia::cli::non_negative_int<decltype(probe_calls)>());
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
    const bool probe = group && ranks > 1 && probe_calls > 0;
    const double link_before = probe ? link_ms(*group, model.count_params(), probe_calls) : 0.0;
    o.epochs = epochs;
    model.fit(train, o);
    const double link_after = probe ? link_ms(*group, model.count_params(), probe_calls) : 0.0;
    const glia::FitStats& s = model.last_fit_stats();
    const double samples = static_cast<double>(train->size()) * epochs;
    if (rank == 0)
      std::printf(
          "{\"ranks\": %d, \"threads_per_rank\": %d, \"batch_per_rank\": %lld, \"steps\": %lld, "
          "\"samples_per_s\": %.1f, \"step_ms\": %.3f, \"buckets\": %lld, "
          "\"allreduce_bytes_per_step\": %lld, \"allreduce_wait_ms\": %.3f, "
          "\"allreduce_span_ms\": %.3f, \"link_ms_before\": %.3f, \"link_ms_after\": %.3f, "
          "\"params\": %lld}\n",
          ranks, threads, static_cast<long long>(batch_per_rank), static_cast<long long>(s.steps),
          samples / s.seconds, 1e3 * s.seconds / static_cast<double>(s.steps),
          static_cast<long long>(s.buckets), static_cast<long long>(s.allreduce_bytes),
          s.allreduce_wait_ms, s.allreduce_span_ms, link_before, link_after,
          static_cast<long long>(model.count_params()));
  } catch (const glia::Error& e) {
    std::fprintf(stderr, "glia_bench_scaling: error: %s\n", e.what());
    glia::abort_distributed(1);
    return 1;
  }
  return 0;
}

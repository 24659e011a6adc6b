// Saving and loading Keras files (issue 5): the seed's MLP (266,610 parameters) in each format,
// and a 100 MB weights file loaded next to a plain read() of the same bytes (the disk-speed
// floor). Files live in $TMPDIR and are warm in the page cache, as after a download.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "glia/glia.hpp"
#include "glia/saving.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& dir() {
  static const fs::path d = [] {
    fs::path p = fs::temp_directory_path() / ("glia-bench-saving-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

std::shared_ptr<glia::Model> mlp(int64_t in, int64_t h1, int64_t h2, int64_t out) {
  auto m = std::make_shared<glia::Sequential>();
  m->add(std::make_shared<glia::InputLayer>(glia::Shape{in}));
  m->add(std::make_shared<glia::Dense>(h1, glia::DenseOptions{.activation = "relu"}));
  m->add(std::make_shared<glia::Dense>(h2, glia::DenseOptions{.activation = "relu"}));
  m->add(std::make_shared<glia::Dense>(out, glia::DenseOptions{.activation = "softmax"}));
  m->initialize_weights(1);
  m->compile({.optimizer = glia::make_optimizer("rmsprop", 0.001),
              .loss = glia::Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

const char* kFiles[] = {"seed.keras", "seed.json", "seed.h5"};

void BM_SaveSeed(benchmark::State& state) {
  auto m = mlp(784, 300, 100, 10);
  const std::string path = (dir() / kFiles[state.range(0)]).string();
  for (auto _ : state) glia::save_model(*m, path);
  state.SetLabel(kFiles[state.range(0)]);
}
BENCHMARK(BM_SaveSeed)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

void BM_LoadSeed(benchmark::State& state) {
  auto m = mlp(784, 300, 100, 10);
  const std::string path = (dir() / kFiles[state.range(0)]).string();
  glia::save_model(*m, path);
  for (auto _ : state) benchmark::DoNotOptimize(glia::load_model(path).model);
  state.SetLabel(kFiles[state.range(0)]);
}
BENCHMARK(BM_LoadSeed)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

// 100 MB of weights: 784 → 5000 → 4200 → 10 (25.0 M parameters).
const std::string& big_file() {
  static const std::string path = [] {
    auto m = mlp(784, 5000, 4200, 10);
    const std::string p = (dir() / "big.h5").string();
    glia::save_model(*m, p, {.include_optimizer = false});
    return p;
  }();
  return path;
}

void BM_Load100MB(benchmark::State& state) {
  const std::string& path = big_file();
  glia::LoadOptions o;
  o.compile = false;
  for (auto _ : state) benchmark::DoNotOptimize(glia::load_model(path, o).model);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(fs::file_size(path)));
  // Peak memory of a fresh process that only loads the file: one copy of the weights, not two.
  int fds[2];
  if (::pipe(fds) != 0) return;
  if (const pid_t pid = ::fork(); pid == 0) {
    ::close(fds[0]);
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    auto model = glia::load_model(path, o).model;
    ::getrusage(RUSAGE_SELF, &after);
    const double mb[2] = {static_cast<double>(before.ru_maxrss) / 1024.0,
                          static_cast<double>(after.ru_maxrss) / 1024.0};
    if (::write(fds[1], mb, sizeof mb) != sizeof mb) _exit(1);
    _exit(0);
  } else {
    ::close(fds[1]);
    double mb[2] = {0, 0};
    if (::read(fds[0], mb, sizeof mb) == sizeof mb) {
      state.counters["file_MB"] = static_cast<double>(fs::file_size(path)) / 1048576.0;
      state.counters["peak_rss_growth_MB"] = mb[1] - mb[0];
    }
    ::close(fds[0]);
    ::waitpid(pid, nullptr, 0);
  }
}
BENCHMARK(BM_Load100MB)->Unit(benchmark::kMillisecond);

// The floor: read() of the same bytes into new memory, as any loader must (the page faults of
// fresh memory cost about as much as copying from the page cache).
void BM_ReadFile100MB(benchmark::State& state) {
  const std::string& path = big_file();
  const auto size = static_cast<size_t>(fs::file_size(path));
  for (auto _ : state) {
    std::unique_ptr<char[]> buf(new char[size]);
    const int fd = ::open(path.c_str(), O_RDONLY);
    size_t got = 0;
    while (got < size) {
      const ssize_t n = ::read(fd, buf.get() + got, size - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    benchmark::DoNotOptimize(buf.get());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}
BENCHMARK(BM_ReadFile100MB)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(dir());
  return 0;
}

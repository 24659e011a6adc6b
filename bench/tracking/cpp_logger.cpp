// A job's training program, reduced to its logging: `--steps` steps of `--names` scalar metrics
// each, through the C++ client (glia::platform::RunLogger, batched: one write() per 1,000
// records). Prints one JSON line: the wall-clock time (Unix seconds) just before the first log
// call and just after the last value was acknowledged (flush() returned), so the caller can
// compare them with the run's status history (the time the job Completed, i.e. the time every
// value was queryable in the store).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "glia/platform/run_logger.hpp"

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Logs names x steps scalar values to the run of this process"};
  int64_t names = 20, steps = 10000;
  app.add_option("--names", names, "metric names");
  app.add_option("--steps", steps, "steps (values per name)");
  CLI11_PARSE(app, argc, argv);

  auto run = glia::platform::RunLogger::from_environment("bench-tracking", "cpp_logger");
  std::vector<std::string> metric;
  for (int64_t i = 0; i < names; ++i) metric.push_back("metric_" + std::to_string(i));

  const double t_first = wall_now();
  for (int64_t s = 0; s < steps; ++s)
    for (int64_t i = 0; i < names; ++i)
      run->log(metric[static_cast<size_t>(i)],
               std::exp(-1e-4 * static_cast<double>(s)) + 0.01 * static_cast<double>(i), s);
  run->flush();
  const double t_acked = wall_now();
  std::printf(
      "{\"client\": \"glia-cpp\", \"mode\": \"%s\", \"n\": %lld, \"t_first\": %.6f, \"t_acked\": "
      "%.6f}\n",
      run->mode() == glia::platform::RunLogger::Mode::TrackingFile ? "tracking-file" : "other",
      static_cast<long long>(names * steps), t_first, t_acked);
  return 0;
}

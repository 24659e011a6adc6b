// Fills a workspace's store with finished runs for the `glia job list` benchmark: --runs runs
// (Completed, like jobs that ran) with --names metric names of --steps values each, written
// straight through the platform API (Store::create_run / set_status / log_metrics).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace glia::platform;
  CLI::App app{"Creates finished runs with metrics in a workspace"};
  std::string workspace;
  int64_t runs = 10000, names = 10, steps = 1;
  app.add_option("-w,--workspace", workspace, "workspace folder")->required();
  app.add_option("--runs", runs, "runs to create");
  app.add_option("--names", names, "metric names per run");
  app.add_option("--steps", steps, "values per metric name");
  CLI11_PARSE(app, argc, argv);

  Workspace ws = Workspace::open(workspace);
  Store& store = ws.store();
  const double t0 = wall_now();
  for (int64_t r = 0; r < runs; ++r) {
    NewRun nr;
    nr.experiment = "exp-" + std::to_string(r % 10);
    nr.command = "python train.py --epochs 20";
    nr.tags = {{"bench", "job-list"}};
    nr.spec = R"({"job":{"command":"python train.py --epochs 20"},"inputs":{},"environment":{}})";
    nr.queue = true;
    RunRecord rec = store.create_run(nr);
    const double at = wall_now();
    store.set_status(rec.id, RunStatus::Running, at);
    std::vector<MetricPoint> points;
    for (int64_t i = 0; i < names; ++i)
      for (int64_t s = 0; s < steps; ++s)
        points.push_back(
            {"metric_" + std::to_string(i), s, 0.5 + 0.001 * static_cast<double>(r), at});
    store.log_metrics(rec.id, points);
    store.set_status(rec.id, RunStatus::Completed, wall_now(), 0);
  }
  std::printf("{\"runs\": %lld, \"names\": %lld, \"create_s\": %.3f}\n",
              static_cast<long long>(runs), static_cast<long long>(names), wall_now() - t0);
  return 0;
}

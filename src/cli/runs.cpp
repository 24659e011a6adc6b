// glia run list / show / metrics: the run history in the workspace's store.
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "glia/error.hpp"
#include "glia/platform/chart.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::cli {

namespace {

using platform::RunRecord;

platform::Workspace workspace(const std::string& dir) {
  std::optional<std::filesystem::path> explicit_dir;
  if (!dir.empty()) explicit_dir = dir;
  return platform::Workspace::find(explicit_dir);
}

std::string iso_time(std::optional<double> t) {
  if (!t) return "";
  std::time_t s = static_cast<std::time_t>(*t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&s));
  return buf;
}

nlohmann::json to_json(const RunRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"experiment", r.experiment},
                      {"display_name", r.display_name},
                      {"status", platform::to_string(r.status)},
                      {"created_at", iso_time(r.created_at)},
                      {"started_at", iso_time(r.started_at)},
                      {"ended_at", iso_time(r.ended_at)},
                      {"command", r.command},
                      {"compute", r.compute},
                      {"tags", r.tags}};
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  j["error"] = r.error;
  return j;
}

}  // namespace

void register_runs(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("run", "Inspect runs and their metrics");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "List runs, newest first");
  struct ListArgs {
    std::string experiment, status, output = "text";
    int64_t limit = 50;
  };
  auto la = std::make_shared<ListArgs>();
  list->add_option("--experiment", la->experiment, "only runs of this experiment");
  list->add_option("--status", la->status, "only runs with this status (e.g. Running, Failed)");
  list->add_option("--limit", la->limit, "at most this many runs")->check(CLI::PositiveNumber);
  list->add_option("-o,--output", la->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([la, workspace_dir] {
    platform::RunFilter f;
    if (!la->experiment.empty()) f.experiment = la->experiment;
    if (!la->status.empty()) f.status = platform::parse_run_status(la->status);
    f.limit = la->limit;
    auto ws = workspace(*workspace_dir);
    auto runs = ws.store().list_runs(f);
    if (la->output == "json") {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& r : runs) all.push_back(to_json(r));
      std::printf("%s\n", all.dump(2).c_str());
      return;
    }
    std::printf("%-40s %-16s %-15s %s\n", "RUN", "EXPERIMENT", "STATUS", "CREATED");
    for (const auto& r : runs)
      std::printf("%-40s %-16s %-15s %s\n", r.id.c_str(), r.experiment.c_str(),
                  platform::to_string(r.status).c_str(), iso_time(r.created_at).c_str());
  });

  auto* show = cmd->add_subcommand("show", "A run's details, status history and latest metrics");
  auto show_id = std::make_shared<std::string>();
  auto show_output = std::make_shared<std::string>("text");
  show->add_option("run", *show_id, "run id")->required();
  show->add_option("-o,--output", *show_output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  show->callback([show_id, show_output, workspace_dir] {
    auto ws = workspace(*workspace_dir);
    nlohmann::json j = to_json(ws.store().get_run(*show_id));
    j["history"] = nlohmann::json::array();
    for (const auto& h : ws.store().status_history(*show_id))
      j["history"].push_back({{"status", platform::to_string(h.status)}, {"at", iso_time(h.at)}});
    j["metrics"] = nlohmann::json::object();
    for (const auto& [name, p] : ws.store().latest_metrics(*show_id))
      j["metrics"][name] = {{"value", p.value}, {"step", p.step}};
    if (*show_output == "json") {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("run %s\n  experiment: %s\n  status:     %s\n  command:    %s\n",
                j["id"].get<std::string>().c_str(), j["experiment"].get<std::string>().c_str(),
                j["status"].get<std::string>().c_str(), j["command"].get<std::string>().c_str());
    if (!j["error"].get<std::string>().empty())
      std::printf("  error:      %s\n", j["error"].get<std::string>().c_str());
    std::printf("  history:\n");
    for (const auto& h : j["history"])
      std::printf("    %-15s %s\n", h["status"].get<std::string>().c_str(),
                  h["at"].get<std::string>().c_str());
    std::printf("  metrics (latest):\n");
    for (const auto& [name, m] : j["metrics"].items())
      std::printf("    %-24s %.6g (step %lld)\n", name.c_str(), m["value"].get<double>(),
                  static_cast<long long>(m["step"].get<int64_t>()));
  });

  auto* metrics = cmd->add_subcommand("metrics", "A run's metric series");
  struct MetricArgs {
    std::string run, name, output = "text", chart;
  };
  auto ma = std::make_shared<MetricArgs>();
  metrics->add_option("run", ma->run, "run id")->required();
  metrics->add_option("--name", ma->name, "only this metric");
  metrics->add_option("-o,--output", ma->output, "output format")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  metrics->add_option("--chart", ma->chart, "also draw the series into FILE (.png or .svg)");
  metrics->callback([ma, workspace_dir] {
    if (!ma->chart.empty()) platform::check_chart_path(ma->chart);
    auto ws = workspace(*workspace_dir);
    auto& store = ws.store();
    store.get_run(ma->run);  // unknown run: a clear error
    std::vector<std::string> names;
    if (!ma->name.empty()) {
      names.push_back(ma->name);
    } else {
      for (const auto& [name, p] : store.latest_metrics(ma->run)) names.push_back(name);
    }
    nlohmann::json j = nlohmann::json::object();
    if (ma->output == "csv") std::printf("name,step,value,wall_time\n");
    for (const auto& name : names) {
      auto series = store.metric_series(ma->run, name);
      if (series.empty() && !ma->name.empty())
        throw Error("run '" + ma->run + "' has no metric '" + name + "'");
      for (const auto& p : series) {
        if (ma->output == "csv")
          std::printf("\"%s\",%lld,%.17g,%.6f\n", name.c_str(), static_cast<long long>(p.step),
                      p.value, p.wall_time);
        j[name].push_back({{"step", p.step}, {"value", p.value}, {"wall_time", p.wall_time}});
      }
      if (ma->output == "text") {
        std::printf("%s:", name.c_str());
        for (const auto& p : series) std::printf(" %.6g", p.value);
        std::printf("\n");
      }
    }
    if (ma->output == "json") std::printf("%s\n", j.dump(2).c_str());
    if (!ma->chart.empty()) {
      std::vector<platform::ChartSeries> series;
      for (const auto& name : names) {
        platform::ChartSeries s{name, {}, {}};
        for (const auto& p : store.metric_series(ma->run, name)) {
          s.x.push_back(static_cast<double>(p.step));
          s.y.push_back(p.value);
        }
        series.push_back(std::move(s));
      }
      platform::write_line_chart(series, {.title = ma->run}, ma->chart);
      std::fprintf(stderr, "chart written to %s\n", ma->chart.c_str());
    }
  });
}

}  // namespace glia::cli

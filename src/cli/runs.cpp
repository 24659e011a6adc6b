// glia run: the run history in the workspace's store (list, show, metrics, files).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/chart.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::cli {

namespace {

// A CSV field as RFC 4180 writes text: in double quotes, a quote inside doubled (a metric or
// column name holding a quote or a comma kept its line intact).
std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A log_row table: text (one line per row), json (a list of objects) or csv (columns in
// first-seen order).
void print_table(const std::string& name, const nlohmann::json& rows, const std::string& output) {
  if (output == "json") {
    std::printf("%s\n", rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::vector<std::string> columns;
  for (const auto& row : rows)
    for (const auto& [k, v] : row.items())
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
  if (output == "csv") {
    for (size_t i = 0; i < columns.size(); ++i)
      std::printf("%s%s", i ? "," : "", csv_field(columns[i]).c_str());
    std::printf("\n");
  } else {
    std::printf("%s (table):\n", escape_bytes(name).c_str());
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto it = row.find(columns[i]);
      const std::string cell = it == row.end()   ? ""
                               : it->is_string() ? it->get<std::string>()
                                                 : it->dump();
      if (output == "csv")
        std::printf("%s%s", i ? "," : "",
                    it != row.end() && it->is_string() ? csv_field(cell).c_str() : cell.c_str());
      else
        std::printf("%s%s=%s", i ? "  " : "  ", escape_bytes(columns[i]).c_str(),
                    escape_bytes(cell).c_str());
    }
    std::printf("\n");
  }
}

}  // namespace

void register_runs(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("run", "Run history: list, show, metrics, files, download");
  cmd->require_subcommand(1);

  add_run_list(*cmd, workspace_dir, "runs");
  add_run_show(*cmd, workspace_dir, "run");
  register_run_files(*cmd, workspace_dir);
  register_run_track(*cmd, workspace_dir);

  auto* metrics = cmd->add_subcommand("metrics", "A run's metric series");
  struct MetricArgs {
    std::string run, name, output = "text", chart;
    bool columns = false;
  };
  auto ma = std::make_shared<MetricArgs>();
  metrics->add_option("run", ma->run, "run id")->required();
  metrics->add_option("--name", ma->name, "only this metric");
  metrics->add_option("-o,--output", ma->output, "output format")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  metrics->add_option("--chart", ma->chart, "also draw the series into FILE (.png or .svg)");
  metrics->add_flag("--columns", ma->columns,
                    "with -o json: compact columns on one line, {NAME: {step: [...], value: "
                    "[...], wall_time: [...]}} (a table: {COLUMN: [...]})");
  metrics->callback([ma, workspace_dir] {
    if (ma->columns && ma->output != "json")
      throw Error("--columns is a form of -o json; -o " + ma->output + " does not take it");
    if (!ma->chart.empty()) platform::check_chart_path(ma->chart);
    auto ws = open_workspace(*workspace_dir);
    auto& store = ws.store();
    store.get_run(ma->run);  // unknown run: a clear error
    std::vector<std::string> names;
    std::map<std::string, nlohmann::json> tables;  // log_row tables: name -> rows
    for (const auto& row : store.metric_rows(ma->run))
      if (ma->name.empty() || row.name == ma->name)
        tables[row.name].push_back(nlohmann::json::parse(row.row_json));
    if (!ma->name.empty()) {
      if (!tables.count(ma->name)) names.push_back(ma->name);
    } else {
      for (const auto& [name, p] : store.latest_metrics(ma->run)) names.push_back(name);
    }
    if (!ma->name.empty() && tables.count(ma->name)) {
      if (!ma->chart.empty())  // it would be ignored: charts draw metric series
        throw Error("--chart draws metric series; '" + ma->name + "' is a table (log_row)");
      if (ma->columns)
        std::printf("%s\n",
                    platform::metric_columns_json({}, {{ma->name, tables[ma->name]}}).c_str());
      else
        print_table(ma->name, tables[ma->name], ma->output);
      return;
    }
    // The chart first: a destination that cannot be written fails the command before anything
    // is printed (a script reading stdout gets no listing from a failed command).
    if (!ma->chart.empty()) {
      std::vector<platform::ChartSeries> series;
      for (const auto& name : names) {
        platform::ChartSeries s{name, {}, {}};
        for (const auto& p : store.metric_series(ma->run, name)) {
          s.x.push_back(static_cast<double>(p.step));
          s.y.push_back(p.value);
        }
        if (s.x.empty() && !ma->name.empty())  // before a chart of nothing is written
          throw Error(ErrorKind::NotFound, "run '" + ma->run + "' has no metric '" + name + "'");
        series.push_back(std::move(s));
      }
      platform::write_line_chart(series, {.title = ma->run}, ma->chart);
      std::fprintf(stderr, "chart written to %s\n", ma->chart.c_str());
    }
    if (ma->columns) {  // one line of columns, written without a JSON tree
      std::vector<std::pair<std::string, std::vector<platform::MetricPoint>>> series;
      for (const auto& name : names) {
        auto points = store.metric_series(ma->run, name);
        if (points.empty() && !ma->name.empty())
          throw Error(ErrorKind::NotFound, "run '" + ma->run + "' has no metric '" + name + "'");
        series.emplace_back(name, std::move(points));
      }
      const std::string text = platform::metric_columns_json(series, tables);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
    }
    nlohmann::json j = nlohmann::json::object();
    if (ma->output == "csv") std::printf("name,step,value,wall_time\n");
    for (const auto& name : ma->columns ? std::vector<std::string>() : names) {
      auto series = store.metric_series(ma->run, name);
      if (series.empty() && !ma->name.empty())
        throw Error(ErrorKind::NotFound, "run '" + ma->run + "' has no metric '" + name + "'");
      for (const auto& p : series) {
        if (ma->output == "csv")
          std::printf("%s,%lld,%.17g,%.6f\n", csv_field(name).c_str(),
                      static_cast<long long>(p.step), p.value, p.wall_time);
        j[name].push_back(platform::metric_point_json(p));
      }
      if (ma->output == "text") {
        std::printf("%s:", escape_bytes(name).c_str());
        for (const auto& p : series) std::printf(" %.6g", p.value);
        std::printf("\n");
      }
    }
    for (auto& [name, rows] : tables) {
      if (ma->output == "json") j[name] = rows;
      if (ma->output == "text") print_table(name, rows, "text");
    }
    if (ma->output == "json" && !ma->columns)
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  });
}

}  // namespace glia::cli

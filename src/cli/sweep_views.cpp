#include "cli/sweep_views.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "cli/common.hpp"
#include "glia/platform/sweep_runs.hpp"

namespace glia::cli {

namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) {
  g_stop.store(true);
}

std::string parameters_text(const nlohmann::json& params) {
  std::string out;
  for (const auto& [name, value] : params.items())
    out += (out.empty() ? "" : " ") + name + "=" + platform::parameter_text(value);
  return out;
}

std::string metric_text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
  return buf;
}

}  // namespace

void print_sweep(const nlohmann::json& sweep) {
  const auto& trials = sweep["trials"];
  std::printf(
      "Sweep:        %s %s, %s sampling, early termination: %s\n",
      sweep["goal"].get<std::string>().c_str(), sweep["primary_metric"].get<std::string>().c_str(),
      sweep["sampling_algorithm"].get<std::string>().c_str(),
      sweep["early_termination"].is_null() ? "none"
                                           : sweep["early_termination"].get<std::string>().c_str());
  std::printf("Trials:       %zu of at most %lld, %lld at a time\n", trials.size(),
              static_cast<long long>(sweep["max_total_trials"].get<int64_t>()),
              static_cast<long long>(sweep["max_concurrent_trials"].get<int64_t>()));
  if (!trials.empty()) {
    const std::string metric = sweep["primary_metric"].get<std::string>();
    const std::string best = "BEST " + metric;
    const int width = static_cast<int>(std::max<size_t>(12, best.size()));
    std::printf("  %-5s %-15s %-*s %-9s %s\n", "TRIAL", "STATUS", width, best.c_str(), "INTERVALS",
                "PARAMETERS");
    for (const auto& t : trials) {
      std::printf("  %-5lld %-15s %-*s %-9lld %s\n", static_cast<long long>(t["index"]),
                  t["status"].get<std::string>().c_str(), width,
                  metric_text(t["best_metric"]).c_str(), static_cast<long long>(t["intervals"]),
                  parameters_text(t["parameters"]).c_str());
      if (!t["early_terminated"].is_null())
        std::printf("        early termination: %s\n",
                    t["early_terminated"].get<std::string>().c_str());
    }
  }
  if (!sweep["best_trial"].is_null())
    std::printf("Best trial:   %s (%s %s)\n", sweep["best_trial"].get<std::string>().c_str(),
                sweep["primary_metric"].get<std::string>().c_str(),
                metric_text(sweep["best_metric"]).c_str());
}

int stream_sweep(platform::Workspace& ws, const std::string& id) {
  g_stop = false;
  auto previous = std::signal(SIGINT, on_interrupt);
  std::set<std::string> started, ended;  // trials whose lines were printed
  platform::RunStatus last = platform::RunStatus::NotStarted;
  platform::RunRecord run = ws.store().get_run(id);
  const platform::SweepSettings settings = platform::sweep_view(ws.store(), id).settings;
  const auto interval = poll_interval(ws, std::chrono::milliseconds(200));
  for (int polls = 0;; ++polls) {
    run = ws.store().get_run(id);
    // Only the trials not seen ending are read again: a long sweep costs what is running.
    for (const platform::SweepTrial& st : ws.store().sweep_trials(id)) {
      if (ended.count(st.run_id)) continue;
      const platform::TrialView t = platform::trial_view(ws.store(), st, settings);
      const bool is_ended = platform::is_terminal(t.run.status);
      const std::string status = platform::to_string(t.run.status);
      std::string line = "trial " + std::to_string(t.index) + " " + status;
      if (is_ended) {
        ended.insert(st.run_id);
        line += "  " + settings.primary_metric + " " +
                metric_text(t.best_metric ? nlohmann::json(*t.best_metric) : nullptr) + " (" +
                std::to_string(t.intervals) + " intervals)";
        if (!t.early_termination.empty())
          line += "  early termination: " + t.early_termination;
        else if (!t.run.error.empty() && t.run.status != platform::RunStatus::Completed)
          line += "  " + t.run.error.substr(0, t.run.error.find('\n'));
      } else if (t.run.status == platform::RunStatus::Running && !started.count(st.run_id)) {
        started.insert(st.run_id);
        line += "  " + parameters_text(nlohmann::json(t.parameters));
      } else {
        continue;
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    if (run.status != last) {  // after the trials it saw end
      std::fprintf(stderr, "glia: %s: %s\n", id.c_str(), platform::to_string(run.status).c_str());
      last = run.status;
    }
    if (platform::is_terminal(run.status) || g_stop.load()) break;
    if (polls % 10 == 9) keep_agent_alive(ws, id);
    std::this_thread::sleep_for(interval);
  }
  std::signal(SIGINT, previous);
  if (!print_stream_end(run, "sweep")) return 130;
  if (auto it = run.properties.find("best_trial"); it != run.properties.end())
    std::fprintf(
        stderr,
        "glia: best trial: %s (%s)   register its model: glia model register "
        "--run best:%s --path outputs/model --name NAME\n",
        it->second.c_str(),
        run.properties.count("best_metric") ? run.properties.at("best_metric").c_str() : "?",
        id.c_str());
  return outcome_exit_code(run);
}

}  // namespace glia::cli

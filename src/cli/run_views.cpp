// `list` and `show` for runs, offered under both `glia run` and `glia job`.
#include <cstdio>
#include <ctime>

#include <fstream>
#include <iterator>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/sweep_views.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/sweep_runs.hpp"
#include "glia/platform/sweep_spec.hpp"

namespace glia::cli {

namespace {

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

void print_show(const nlohmann::json& j) {
  auto str = [&](const char* k) { return j.value(k, std::string()); };
  std::printf("Run:          %s\n", str("id").c_str());
  std::printf("Experiment:   %s\n", str("experiment").c_str());
  if (str("display_name") != str("id"))
    std::printf("Display name: %s\n", escape_bytes(str("display_name")).c_str());
  std::printf("Status:       %s", str("status").c_str());
  if (!j["exit_code"].is_null()) std::printf(" (exit code %d)", j["exit_code"].get<int>());
  std::printf("\nCompute:      %s\n", str("compute").c_str());
  if (j["job_type"].is_string()) {
    std::printf("Type:         %s", j["job_type"].get<std::string>().c_str());
    const auto& props = j.contains("properties") ? j["properties"] : nlohmann::json::object();
    if (props.contains(platform::kTrackerPid))
      std::printf(" (glia run track, pid %s on %s)",
                  props[platform::kTrackerPid].get<std::string>().c_str(),
                  props.value(platform::kTrackerHost, std::string("?")).c_str());
    std::printf("\n");
  }
  if (j.contains("submitted_by")) {
    const auto& by = j["submitted_by"];
    const std::string name = by["name"].get<std::string>();
    std::printf("Submitted by: %s (uid %lld)\n", name.empty() ? "?" : name.c_str(),
                static_cast<long long>(by["uid"].get<int64_t>()));
  }
  if (j.contains("properties") && j["properties"].contains("threads"))
    std::printf("Threads:      %s (%s)\n", j["properties"]["threads"].get<std::string>().c_str(),
                j["properties"].value("threads_from", std::string("?")).c_str());
  if (j.contains("job") && j["job"].is_object() && j["job"].contains("distribution") &&
      j["job"]["distribution"].is_object()) {
    // distribution: from the job file (docs/jobs.md "Distributed jobs")
    const auto& d = j["job"]["distribution"];
    const auto& res = j["job"].value("resources", nlohmann::json::object());
    std::printf("Distribution: %s, %lld process(es) per instance x %lld instance(s)",
                d.value("type", std::string("mpi")).c_str(),
                static_cast<long long>(d.value("process_count_per_instance", int64_t{1})),
                static_cast<long long>(res.value("instance_count", int64_t{1})));
    if (j.contains("properties") && j["properties"].contains("threads_per_process"))
      std::printf(", %s thread(s) each",
                  j["properties"]["threads_per_process"].get<std::string>().c_str());
    std::printf("\n");
  }
  // The job file's own words: its description and each input's (docs/jobs.md).
  const nlohmann::json spec =
      j.contains("job") && j["job"].is_object() ? j["job"] : nlohmann::json::object();
  const auto spec_text = [](const nlohmann::json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>()
                                                                  : std::string();
  };
  if (!spec_text(spec, "description").empty())
    std::printf("Description:  %s\n", escape_bytes(spec_text(spec, "description")).c_str());
  std::printf("Command:      %s\n", escape_bytes(str("command")).c_str());
  if (j.contains("inputs") && !j["inputs"].empty()) {
    std::printf("Inputs:\n");
    const nlohmann::json declared = spec.value("inputs", nlohmann::json::object());
    for (const auto& [k, v] : j["inputs"].items()) {
      const std::string about = declared.contains(k) ? spec_text(declared[k], "description") : "";
      std::printf("  %-22s %s%s\n", escape_bytes(k).c_str(),
                  escape_bytes(v.get<std::string>()).c_str(),
                  about.empty() ? "" : ("  (" + escape_bytes(about) + ")").c_str());
    }
  }
  if (j.contains("datasets"))
    for (const auto& d : j["datasets"])
      std::printf("Dataset:      %s <- %s:%lld (%s, content %s)\n",
                  d["input"].get<std::string>().c_str(), d["dataset"].get<std::string>().c_str(),
                  static_cast<long long>(d["version"].get<int64_t>()),
                  d["mode"].get<std::string>().c_str(),
                  d["content_hash"].get<std::string>().substr(0, 12).c_str());
  if (j.contains("code_snapshot"))
    std::printf("Code:         snapshot %s (%zu files)\n",
                j["code_snapshot"].get<std::string>().substr(0, 12).c_str(),
                j["code_files"].get<size_t>());
  if (j.contains("timeout_seconds"))
    std::printf("Timeout:      %s\n", format_duration(j["timeout_seconds"].get<double>()).c_str());
  if (j.contains("duration_seconds"))
    std::printf("Duration:     %s\n", format_duration(j["duration_seconds"].get<double>()).c_str());
  if (j.contains("params")) {
    std::printf("Params:      ");
    for (const auto& [k, v] : j["params"].items())
      std::printf(" %s=%s", escape_bytes(k).c_str(), escape_bytes(v.get<std::string>()).c_str());
    std::printf("\n");
  }
  if (!j["tags"].empty()) {
    std::printf("Tags:        ");
    for (const auto& [k, v] : j["tags"].items())
      std::printf(" %s=%s", escape_bytes(k).c_str(), escape_bytes(v.get<std::string>()).c_str());
    std::printf("\n");
  }
  if (!str("error").empty()) {
    std::printf("Error:        %s\n", first_line(str("error")).c_str());
    const std::string rest = str("error").substr(first_line(str("error")).size());
    if (!rest.empty()) {
      std::printf("  last lines of stderr:");
      for (size_t p = 0, q; p < rest.size(); p = q) {
        q = rest.find('\n', p + 1);
        if (q == std::string::npos) q = rest.size();
        std::printf("\n    %s", rest.substr(p + 1, q - p - 1).c_str());
      }
      std::printf("\n");
    }
  }
  std::printf("Status history:\n");
  for (const auto& h : j["history"])
    std::printf("  %s  %s\n", h["at"].get<std::string>().c_str(),
                h["status"].get<std::string>().c_str());
  if (!j["metrics"].empty()) {
    std::printf("Metrics (latest):\n");
    for (const auto& [name, m] : j["metrics"].items())
      std::printf("  %-24s %.6g (step %lld)\n", escape_bytes(name).c_str(),
                  m["value"].get<double>(), static_cast<long long>(m["step"].get<int64_t>()));
  }
  if (j.contains("images"))
    for (const auto& img : j["images"])
      std::printf("Image:        %s -> %s\n", escape_bytes(img["name"].get<std::string>()).c_str(),
                  escape_bytes(img["path"].get<std::string>()).c_str());
  std::printf("Files:        %zu (glia run files %s)\n", j["files"].get<size_t>(),
              str("id").c_str());
  if (j.contains("parent")) {
    std::printf("Sweep:        trial %lld of %s\n",
                static_cast<long long>(j.value("trial_index", int64_t{0})),
                j["parent"].get<std::string>().c_str());
    if (j.contains("parameters"))
      for (const auto& [k, v] : j["parameters"].items())
        std::printf("  %-22s %s\n", escape_bytes(k).c_str(),
                    escape_bytes(platform::parameter_text(v)).c_str());
  }
  if (j.contains("sweep")) print_sweep(j["sweep"]);
}

}  // namespace

void add_run_list(CLI::App& parent, const std::shared_ptr<std::string>& workspace_dir,
                  const std::string& what) {
  auto* list = parent.add_subcommand("list", "List " + what + ", newest first");
  struct Args {
    std::string experiment, status, parent, output = "text";
    int64_t limit = 50;
  };
  auto a = std::make_shared<Args>();
  list->add_option("--experiment", a->experiment, "only runs of this experiment");
  list->add_option("--status", a->status, "only runs with this status (e.g. Running, Failed)");
  list->add_option("--parent", a->parent, "only the children of this run (a sweep's trials)");
  list->add_option("--limit", a->limit, "at most this many (default 50)")
      ->check(glia::cli::positive_int<decltype(a->limit)>());
  list->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([a, workspace_dir] {
    platform::RunFilter f;
    if (!a->experiment.empty()) f.experiment = a->experiment;
    if (!a->status.empty()) f.status = platform::parse_run_status(a->status);
    if (!a->parent.empty()) f.parent_id = a->parent;
    f.limit = a->limit;
    auto ws = open_workspace(*workspace_dir);
    // A connected folder's interactive runs whose tracker here is gone (a local workspace's:
    // open_workspace's reconciliation).
    if (ws.is_remote()) platform::reconcile_interactive_runs(ws);
    if (f.parent_id) ws.store().get_run(*f.parent_id);  // an unknown parent is an error
    auto runs = ws.store().list_runs(f);
    if (a->output == "json") {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& r : runs) all.push_back(run_json(r));
      std::printf("%s\n",
                  all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("%-40s %-16s %-15s %-11s %-20s %s\n", "RUN", "EXPERIMENT", "STATUS", "TYPE",
                "CREATED", "DURATION");
    const double now = static_cast<double>(std::time(nullptr));
    for (const auto& r : runs)
      std::printf(
          "%-40s %-16s %-15s %-11s %-20s %s\n", r.id.c_str(), r.experiment.c_str(),
          platform::to_string(r.status).c_str(), r.job_type.empty() ? "-" : r.job_type.c_str(),
          iso_time(r.created_at).c_str(),
          r.started_at ? format_duration(r.ended_at.value_or(now) - *r.started_at).c_str() : "");
  });
}

// `job show --detail`: the Slurm batch script kept with the run (in run history once it ended,
// in the run's folder while it runs).
static void print_batch_script(platform::Workspace& ws, const std::string& run_id) {
  const std::string path = "logs/slurm/job.sbatch";
  std::string text;
  for (const auto& f : ws.store().run_files(run_id))
    if (f.path == path) text = ws.artifacts().read_blob(f.sha256);
  if (text.empty() && !ws.is_remote()) {
    std::ifstream in(platform::run_dir(ws.root(), run_id).work() / path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.empty()) {
    std::printf("\nbatch script: none (not a job on a Slurm target)\n");
    return;
  }
  std::printf("\nbatch script (%s):\n%s", path.c_str(), text.c_str());
}

void add_run_show(CLI::App& parent, const std::shared_ptr<std::string>& workspace_dir,
                  const std::string& what) {
  auto* show = parent.add_subcommand(
      "show", "A " + what + "'s details: status history, command, inputs, error, metrics");
  auto id = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("text");
  show->add_option("run", *id, "run id (best:SWEEP: a sweep's best trial)")->required();
  show->add_option("-o,--output", *output, "output format")->check(CLI::IsMember({"text", "json"}));
  auto detail = std::make_shared<bool>(false);
  show->add_flag("--detail", *detail,
                 "also print the job's generated batch script (a job on a Slurm target: "
                 "logs/slurm/job.sbatch)");
  show->callback([id, output, detail, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    if (ws.is_remote()) platform::reconcile_interactive_runs(ws);  // as list
    nlohmann::json j =
        platform::run_show_json(ws, platform::resolve_run_reference(ws.store(), *id));
    if (*output == "json")
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    else
      print_show(j);
    if (*detail && *output != "json") print_batch_script(ws, j.value("id", *id));
  });
}

}  // namespace glia::cli

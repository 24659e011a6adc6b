// glia job submit / list / show / stream / cancel (and resume: job_resume.cpp): command jobs on
// compute targets.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <type_traits>
#include <variant>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/job_resume.hpp"
#include "cli/sweep_views.hpp"
#include "glia/error.hpp"
#include "glia/platform/job_spec.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/sweep_spec.hpp"

namespace glia::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void on_interrupt(int) {
  g_interrupted.store(true);
}

// Streams the run's log to stdout until it ends; status changes and the outcome go to stderr.
int stream_run(platform::Workspace& ws, const std::string& id) {
  g_interrupted = false;
  auto previous = std::signal(SIGINT, on_interrupt);
  platform::FollowOptions options;
  options.stop = &g_interrupted;
  options.keep_alive = [&ws, &id] { keep_agent_alive(ws, id); };
  options.on_status = [](const platform::RunRecord& r) {
    std::fprintf(stderr, "glia: %s: %s\n", r.id.c_str(), platform::to_string(r.status).c_str());
  };
  const auto run = platform::follow_log(
      ws, id,
      [](std::string_view bytes) {
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        std::fflush(stdout);
      },
      options);
  std::signal(SIGINT, previous);
  if (!print_stream_end(run, "job")) return 130;
  std::fprintf(stderr, "glia: metrics: glia run metrics %s   files: glia run files %s\n",
               id.c_str(), id.c_str());
  return outcome_exit_code(run);
}

void add_submit(CLI::App& job, const std::shared_ptr<std::string>& workspace_dir) {
  auto* submit =
      job.add_subcommand("submit", "Submit a command or sweep job described by a YAML file");
  struct Args {
    std::string file, output = "text";
    std::vector<std::string> sets;
    bool stream = false;
  };
  auto a = std::make_shared<Args>();
  submit
      ->add_option("-f,--file", a->file, "the job file (Azure ML CLI v2 command or sweep job YAML)")
      ->required();
  submit->add_option("--set", a->sets,
                     "override a value, e.g. --set inputs.batch_size=100 (repeatable)");
  submit->add_flag("--stream", a->stream,
                   "follow the job's output until it ends; exit with the job's outcome");
  submit->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  submit->callback([a, workspace_dir] {
    platform::JobFile file = platform::load_job_file(a->file);
    for (const auto& s : a->sets)
      std::visit(
          [&](auto& spec) {
            if constexpr (std::is_same_v<std::decay_t<decltype(spec)>, platform::SweepSpec>)
              platform::apply_sweep_override(spec, s);
            else
              platform::apply_override(spec, s);
          },
          file);
    auto ws = open_workspace(*workspace_dir);
    platform::SubmitOptions options{platform::current_environment(), {tool_dir()}};
    options.warn = [](const std::string& w) { std::fprintf(stderr, "warning: %s\n", w.c_str()); };
    const bool sweep = std::holds_alternative<platform::SweepSpec>(file);
    const auto run = sweep
                         ? platform::submit_sweep(ws, std::get<platform::SweepSpec>(file), options)
                         : platform::submit_job(ws, std::get<platform::JobSpec>(file), options);
    ensure_agent(ws);
    if (a->output == "json") {
      std::printf(
          "%s\n",
          run_json(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      // While streaming, stdout carries only the job's output.
      std::fprintf(a->stream ? stderr : stdout, "Submitted %s (experiment %s) to compute '%s'.\n",
                   run.id.c_str(), run.experiment.c_str(), run.compute.c_str());
      if (!a->stream)
        std::printf("  follow:  glia job stream %s\n  details: glia job show %s\n", run.id.c_str(),
                    run.id.c_str());
      std::fflush(stdout);
    }
    if (a->stream) {
      int rc = sweep ? stream_sweep(ws, run.id) : stream_run(ws, run.id);
      if (rc != 0) throw ExitRequest{rc};
    }
  });
}

void add_stream(CLI::App& job, const std::shared_ptr<std::string>& workspace_dir) {
  auto* stream = job.add_subcommand(
      "stream", "Follow a job's output until it ends (or replay a finished job's output)");
  auto id = std::make_shared<std::string>();
  stream->add_option("run", *id, "run id")->required();
  stream->callback([id, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const auto run = ws.store().get_run(*id);
    if (!platform::is_terminal(run.status) && !run.spec.empty()) ensure_agent(ws);
    int rc = run.is_sweep() ? stream_sweep(ws, *id) : stream_run(ws, *id);
    if (rc != 0) throw ExitRequest{rc};
  });
}

void add_cancel(CLI::App& job, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cancel = job.add_subcommand("cancel", "Cancel a queued or running job");
  auto id = std::make_shared<std::string>();
  auto no_wait = std::make_shared<bool>(false);
  cancel->add_option("run", *id, "run id")->required();
  cancel->add_flag("--no-wait", *no_wait, "return once the cancel is requested");
  cancel->callback([id, no_wait, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    auto run = platform::request_job_cancel(ws.store(), *id);
    ensure_agent(ws);
    if (*no_wait) {
      std::printf("cancel requested for %s\n", id->c_str());
      return;
    }
    const auto interval = poll_interval(ws, std::chrono::milliseconds(50));
    for (int polls = 1; !platform::is_terminal(run.status); ++polls) {
      std::this_thread::sleep_for(interval);
      if (polls % 20 == 0) keep_agent_alive(ws, *id);
      run = ws.store().get_run(*id);
    }
    std::printf("%s: %s\n", id->c_str(), platform::to_string(run.status).c_str());
  });
}

}  // namespace

int stream_job(platform::Workspace& ws, const std::string& id) {
  return stream_run(ws, id);
}

void register_jobs(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* job = app.add_subcommand("job", "Submit and control jobs on compute targets");
  job->require_subcommand(1);
  add_submit(*job, workspace_dir);
  add_run_list(*job, workspace_dir, "jobs");
  add_run_show(*job, workspace_dir, "job");
  add_stream(*job, workspace_dir);
  add_cancel(*job, workspace_dir);
  add_job_resume(*job, workspace_dir);
}

}  // namespace glia::cli

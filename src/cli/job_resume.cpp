// glia job resume RUN_ID: a failed or canceled job started again from its checkpoint.
#include "cli/job_resume.hpp"

#include <cstdio>

#include "cli/common.hpp"
#include "glia/platform/job_resume.hpp"

namespace glia::cli {

void add_job_resume(CLI::App& job, const std::shared_ptr<std::string>& workspace_dir) {
  auto* resume = job.add_subcommand(
      "resume",
      "Resume a failed or canceled job: a new run of the same job whose working folder starts "
      "with the files the old run stored under outputs/checkpoints/");
  struct Args {
    std::string id, output = "text";
    bool stream = false;
  };
  auto a = std::make_shared<Args>();
  resume->add_option("run", a->id, "the ended job's run id")->required();
  resume->add_flag("--stream", a->stream,
                   "follow the new run's output until it ends; exit with its outcome");
  resume->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  resume->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const platform::ResumedJob resumed = platform::resume_job(ws, a->id);
    ensure_agent(ws);
    const platform::RunRecord& run = resumed.run;
    if (resumed.checkpoint_files == 0)
      std::fprintf(stderr,
                   "warning: run %s stored no files under %s: the job starts from the "
                   "beginning\n",
                   a->id.c_str(), platform::kCheckpointFolder);
    if (a->output == "json") {
      std::printf(
          "%s\n",
          run_json(run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      // While streaming, stdout carries only the job's output.
      std::fprintf(a->stream ? stderr : stdout,
                   "Resumed %s as %s (experiment %s) on compute '%s' with %lld checkpoint "
                   "file(s).\n",
                   a->id.c_str(), run.id.c_str(), run.experiment.c_str(), run.compute.c_str(),
                   static_cast<long long>(resumed.checkpoint_files));
      if (!a->stream)
        std::printf("  follow:  glia job stream %s\n  details: glia job show %s\n", run.id.c_str(),
                    run.id.c_str());
      std::fflush(stdout);
    }
    if (a->stream) {
      const int rc = stream_job(ws, run.id);
      if (rc != 0) throw ExitRequest{rc};
    }
  });
}

}  // namespace glia::cli

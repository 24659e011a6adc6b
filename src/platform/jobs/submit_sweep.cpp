// Submitting a sweep: the trial prepared once as a command job, the sweep's settings recorded
// with it on the sweep's run; the agent's SweepDriver makes the trials from them.
#include <random>
#include <set>

#include "glia/error.hpp"
#include "glia/platform/job_submit.hpp"
#include "jobs/prepare_job.hpp"

namespace glia::platform {

namespace {

std::string where(const SweepSpec& spec) {
  return spec.trial.source.empty() ? std::string("sweep") : spec.trial.source.filename().string();
}

void check_resume_from(Store& store, const SweepSpec& spec) {
  std::set<int64_t> tried;  // grid: the combinations the earlier sweeps tried
  for (const std::string& id : spec.settings.resume_from) {
    const std::string what = where(spec) + ": resume_from: run '" + id + "'";
    const auto run = store.find_run(id);
    if (!run) throw Error(ErrorKind::NotFound, what + " does not exist");
    if (!run->is_sweep()) throw Error(what + " is not a sweep");
    if (!is_terminal(run->status))
      throw Error(ErrorKind::Conflict, what + " is still " + to_string(run->status) +
                                           " (a sweep resumes from ended sweeps)");
    const SweepSettings earlier =
        sweep_settings_from_json(nlohmann::json::parse(run->spec).at("sweep"));
    std::vector<std::string> ours, theirs;
    for (const auto& [name, e] : spec.settings.search_space) ours.push_back(name);
    for (const auto& [name, e] : earlier.search_space) theirs.push_back(name);
    if (ours != theirs)
      throw Error(what + " searched other parameters (expected the same names as search_space)");
    if (earlier.goal != spec.settings.goal)
      throw Error(what + " had the other goal (" +
                  (earlier.goal == sweeps::Goal::Maximize ? "maximize" : "minimize") + ")");
    if (spec.settings.sampling_algorithm == "grid") {
      for (const SweepTrial& t : store.sweep_trials(id)) {
        const auto params = nlohmann::json::parse(t.parameters).get<sweeps::Parameters>();
        if (const auto index = sweeps::grid_index(spec.settings.search_space, params))
          tried.insert(*index);
      }
    }
    if (earlier.primary_metric != spec.settings.primary_metric)
      throw Error(what + " optimized '" + earlier.primary_metric + "', not '" +
                  spec.settings.primary_metric + "'");
  }
  if (!tried.empty() &&
      static_cast<int64_t>(tried.size()) >= sweeps::grid_size(spec.settings.search_space))
    throw Error(where(spec) +
                ": resume_from: the earlier sweeps tried every combination of the grid (nothing "
                "is left to run)");
}

}  // namespace

RunRecord submit_sweep(Workspace& ws, const SweepSpec& spec, const SubmitOptions& options) {
  Store& store = ws.store();
  check_resume_from(store, spec);
  SweepSettings settings = spec.settings;
  if (!settings.seed && settings.sampling_algorithm != "grid")  // recorded: the sequence repeats
    settings.seed = std::random_device{}();
  const std::string id = make_run_id(job_experiment_name(spec.trial));
  jobs::PreparedJob trial = jobs::prepare_job(ws, spec.trial, options, id);
  const ComputeTarget target = store.get_compute(trial.run.compute);
  if (target.max_concurrent < settings.limits.concurrent() && options.warn)
    options.warn("compute '" + target.name + "' runs at most " +
                 std::to_string(target.max_concurrent) + " jobs at once: that many of the " +
                 std::to_string(settings.limits.concurrent()) +
                 " concurrent trials run at a time (glia compute update --name " + target.name +
                 " --max-concurrent N)");

  jobs::PreparedJob sweep;
  sweep.run = trial.run;  // the trial's experiment, compute, code, inputs, tags, submitter
  sweep.run.job_type = "sweep";
  sweep.run.timeout = settings.limits.timeout;
  sweep.warnings = trial.warnings;
  sweep.recorded = {{"sweep", to_json(settings)},
                    {"job", trial.recorded["job"]},
                    {"inputs", trial.recorded["inputs"]},
                    {"environment", trial.recorded["environment"]},
                    {"trial",
                     {{"command", trial.run.command},
                      {"inputs_dir", trial.inputs_dir},
                      {"spec", trial.recorded},
                      {"properties", trial.run.properties},
                      {"timeout", trial.run.timeout ? nlohmann::json(*trial.run.timeout)
                                                    : nlohmann::json(nullptr)}}}};
  sweep.recorded["job"]["type"] = "sweep";
  if (trial.recorded.contains("job_file")) sweep.recorded["job_file"] = trial.recorded["job_file"];
  return jobs::create_job_run(ws, sweep);
}

}  // namespace glia::platform

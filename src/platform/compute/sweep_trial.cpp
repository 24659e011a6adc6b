#include "compute/sweep_trial.hpp"

#include "glia/error.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/run_paths.hpp"
#include "glia/platform/sweep_spec.hpp"

namespace glia::platform::compute {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxRunId = 255;  // a run id names its folder

}  // namespace

NewRun trial_run(const fs::path& workspace_root, const RunRecord& sweep,
                 const nlohmann::json& sweep_spec, const std::vector<RunInput>& inputs,
                 int64_t index, const sweeps::Parameters& params) {
  const nlohmann::json& trial = sweep_spec.at("trial");
  NewRun run;
  run.id = sweep.id + "_" + std::to_string(index);
  if (run.id.size() > kMaxRunId) run.id = make_run_id(sweep.experiment);
  run.experiment = sweep.experiment;
  run.display_name = (sweep.display_name.empty() ? sweep.id : sweep.display_name) + " trial " +
                     std::to_string(index);
  run.compute = sweep.compute;
  run.tags = sweep.tags;
  run.code_snapshot = sweep.code_snapshot;
  if (trial.contains("timeout") && trial["timeout"].is_number())
    run.timeout = trial["timeout"].get<double>();
  run.queue = true;
  run.submitter_uid = sweep.submitter_uid;
  run.submitter_name = sweep.submitter_name;
  if (trial.contains("properties"))
    run.properties = trial["properties"].get<std::map<std::string, std::string>>();
  run.job_type = "command";
  run.parent_id = sweep.id;
  run.trial_index = index;
  const nlohmann::json parameters(params);
  run.trial_parameters = parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  const std::string from = trial.at("inputs_dir").get<std::string>();
  const std::string to = (run_dir(workspace_root, run.id).root / "inputs").string() + "/";
  run.command =
      render_search_space(replace_all(trial.at("command").get<std::string>(), from, to), params);
  nlohmann::json recorded = trial.at("spec");
  if (recorded.contains("inputs")) move_paths(recorded["inputs"], from, to);
  if (recorded.contains("dataset_inputs")) move_paths(recorded["dataset_inputs"], from, to);
  recorded["sweep"] = {{"id", sweep.id}, {"index", index}, {"parameters", parameters}};
  run.spec = recorded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (RunInput in : inputs) {
    in.run_id.clear();
    run.inputs.push_back(std::move(in));
  }
  return run;
}

}  // namespace glia::platform::compute

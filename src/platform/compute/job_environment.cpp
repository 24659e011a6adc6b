#include "compute/job_environment.hpp"

#include "compute/thread_share.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform::compute {

namespace fs = std::filesystem;

namespace {

std::string prepend_path(const fs::path& dir, const std::string& old) {
  if (dir.empty()) return old;
  return old.empty() ? dir.string() : dir.string() + ":" + old;
}

// A PATH-like list without the entry `dir` (however often it appears).
std::string without_entry(const std::string& list, const fs::path& dir) {
  std::string out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    const std::string entry = list.substr(start, end - start);
    if (fs::path(entry).lexically_normal() != dir.lexically_normal())
      out += (out.empty() ? "" : ":") + entry;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> job_environment(const RunRecord& run, const RunDir& dir,
                                                   const fs::path& root,
                                                   const AgentOptions& options,
                                                   const nlohmann::json& spec, int64_t threads,
                                                   const std::optional<EnvironmentVersion>& pyenv,
                                                   const fs::path& venv) {
  std::map<std::string, std::string> env;
  if (spec.contains("environment") && spec["environment"].is_object()) {
    env = recordable_environment(spec["environment"].get<std::map<std::string, std::string>>());
  } else {
    env = recordable_environment(current_environment());
  }
  if (!venv.empty()) {  // in an environment, nothing of the submitter's own Python
    for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
      const auto it = env.find(var);
      if (it == env.end() || it->second.empty()) continue;
      env["PATH"] = without_entry(env["PATH"], fs::path(it->second) / "bin");
      if (env.count("LD_LIBRARY_PATH"))
        env["LD_LIBRARY_PATH"] =
            without_entry(env["LD_LIBRARY_PATH"], fs::path(it->second) / "lib");
    }
    for (const char* name : {"PYTHONPATH", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"}) env.erase(name);
  }
  env.erase("VIRTUAL_ENV");  // the submitter's venv is not the job's
  std::map<std::string, std::string> user_set;
  if (spec.contains("job") && spec["job"].contains("environment_variables"))
    for (const auto& [k, v] : spec["job"]["environment_variables"].items())
      user_set[k] = v.get<std::string>();
  for (const auto& [k, v] : user_set) env[k] = v;
  env["PATH"] = prepend_path(options.tool_dir, env.count("PATH") ? env["PATH"] : "/usr/bin:/bin");
  if (pyenv)  // the venv first on PATH; its conda variables unless the job set them too
    for (const auto& [k, v] : environment_variables_for(*pyenv, venv, env["PATH"]))
      if (k == "PATH" || k == "VIRTUAL_ENV" || !user_set.count(k)) env[k] = v;
  export_threads(env, threads, user_set);  // the share wins over conda variables, not the job's
  std::string pythonpath = env["PYTHONPATH"];
  if (azureml_shim_enabled(user_set))
    pythonpath = prepend_path(options.azureml_shim_dir, pythonpath);
  env["PYTHONPATH"] = prepend_path(options.python_dir, pythonpath);
  if (env["PYTHONPATH"].empty()) env.erase("PYTHONPATH");
  env["PYTHONUNBUFFERED"] = env.count("PYTHONUNBUFFERED") ? env["PYTHONUNBUFFERED"] : "1";
  env["GLIA_RUN_ID"] = run.id;
  env["GLIA_EXPERIMENT_NAME"] = run.experiment;
  env["GLIA_DISPLAY_NAME"] = run.display_name;
  if (!run.parent_id.empty()) env["GLIA_PARENT_RUN_ID"] = run.parent_id;  // a sweep's trial
  env["GLIA_WORKSPACE"] = root.string();
  env["GLIA_TRACKING_FILE"] = dir.tracking().string();
  env["GLIA_SCRATCH_DIR"] = dir.scratch().string();
  env["GLIA_OUTPUTS_DIR"] = (dir.work() / "outputs").string();
  if (spec.contains("dataset_inputs")) env["GLIA_INPUT_DATASETS"] = spec["dataset_inputs"].dump();
  return env;
}

std::optional<int64_t> job_threads(const nlohmann::json& spec) {
  if (!spec.contains("job") || !spec["job"].contains("resources")) return std::nullopt;
  const auto& res = spec["job"]["resources"];
  if (!res.is_object() || !res.contains("threads") || !res["threads"].is_number_integer())
    return std::nullopt;
  return res["threads"].get<int64_t>();
}

}  // namespace glia::platform::compute

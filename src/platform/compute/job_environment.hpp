// A job's process environment, as the agent composes it (docs/jobs.md, docs/environments.md):
// the submitter's recorded variables, the job's own, its thread share, the folders of Glia's
// programs and Python client, its Python environment's venv and variables, and Glia's run
// variables. Private to src/platform/compute.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "glia/platform/local_agent.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::compute {

/// The job's resources.threads, when its recorded spec sets one.
std::optional<int64_t> job_threads(const nlohmann::json& spec);

/// The job's environment: the submitter's allow-listed variables (recorded at submit; in an
/// environment without their PYTHONPATH, conda variables and venv/conda folders), the job's
/// variables, its thread share (unless the job's variables set it; it wins over conda
/// variables), the folder of Glia's programs and then the venv's bin first on PATH, the
/// environment's VIRTUAL_ENV and conda `variables:` (the job's win), the Python client and the
/// azureml.core shim on PYTHONPATH, then Glia's own (which say where to log). `pyenv` unset: no
/// environment; `venv` empty: nothing built.
std::map<std::string, std::string> job_environment(const RunRecord& run, const RunDir& dir,
                                                   const std::filesystem::path& root,
                                                   const AgentOptions& options,
                                                   const nlohmann::json& spec, int64_t threads,
                                                   const std::optional<EnvironmentVersion>& pyenv,
                                                   const std::filesystem::path& venv);

}  // namespace glia::platform::compute

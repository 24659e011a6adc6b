// A sweep's trial as a run: made from what the sweep's submit prepared once (the trial's command
// job, its inputs, environment and code snapshot) and the parameters sampled for its index.
// Private to src/platform/compute.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/store.hpp"
#include "glia/platform/sweep_policies.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform::compute {

/// The trial run of index `index` of `sweep` (its recorded spec parsed in `sweep_spec`, the
/// dataset versions it uses in `inputs`): its id is "<sweep id>_<index>" (or a new id when that
/// would be too long for a file name), its command the trial's with ${{search_space.x}} replaced
/// and its inputs' paths in its own run folder; the index and parameters go with it (recorded in
/// the same transaction as the run by Store::create_run).
NewRun trial_run(const std::filesystem::path& workspace_root, const RunRecord& sweep,
                 const nlohmann::json& sweep_spec, const std::vector<RunInput>& inputs,
                 int64_t index, const sweeps::Parameters& params);

}  // namespace glia::platform::compute

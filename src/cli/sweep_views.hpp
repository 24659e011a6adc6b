// What `glia job show` and `glia job stream` print for a sweep: its trials sorted by the primary
// metric, the best trial, and the trials' progress while it runs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "glia/platform/workspace.hpp"

namespace glia::cli {

/// The "sweep" part of `glia job show SWEEP -o json`: settings, trials best first, best trial.
nlohmann::json sweep_json(platform::Workspace& ws, const std::string& id);
/// Prints sweep_json as a table (after the run's own fields).
void print_sweep(const nlohmann::json& sweep);
/// Follows a sweep until it ends: a line per trial started and ended (stderr carries Glia's own
/// status lines, stdout the trial lines). Returns the exit code as stream_run does.
int stream_sweep(platform::Workspace& ws, const std::string& id);

}  // namespace glia::cli

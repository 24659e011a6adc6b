// What `glia job show` and `glia job stream` print for a sweep: its trials sorted by the primary
// metric, the best trial, and the trials' progress while it runs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "glia/platform/workspace.hpp"

namespace glia::cli {

/// Prints platform::sweep_json (json_views.hpp) as a table (after the run's own fields).
void print_sweep(const nlohmann::json& sweep);
/// Follows a sweep until it ends: a line per trial started and ended (stderr carries Glia's own
/// status lines, stdout the trial lines). Returns the exit code as stream_run does.
int stream_sweep(platform::Workspace& ws, const std::string& id);

}  // namespace glia::cli

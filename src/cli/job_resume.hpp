// `glia job resume` (job_resume.cpp) and the log follower it shares with `glia job stream`
// (jobs.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "glia/platform/workspace.hpp"

namespace glia::cli {

void add_job_resume(CLI::App& job, const std::shared_ptr<std::string>& workspace_dir);
/// Streams a job's log to stdout until it ends (status changes on stderr); returns the exit
/// code `glia job stream` gives.
int stream_job(platform::Workspace& ws, const std::string& id);

}  // namespace glia::cli

// Registration of the glia subcommands; one file per command group.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace glia::cli {

void register_info(CLI::App& app);
void register_data(CLI::App& app);
/// `workspace_dir` holds the global -w/--workspace value (empty: find it from the current folder).
void register_workspace(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_runs(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);

}  // namespace glia::cli

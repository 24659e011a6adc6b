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
void register_datasets(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_models(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_environments(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_jobs(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_compute(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_agent(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
/// `glia user ...` and `glia token ...` (access.cpp).
void register_access(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_server(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
/// `glia ui`: the web view of the local workspace on 127.0.0.1 (ui.cpp).
void register_ui(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_endpoints(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_train(CLI::App& app);
void register_predict(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);
void register_evaluate(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir);

// Pieces shared by command groups.
void add_run_list(CLI::App& parent, const std::shared_ptr<std::string>& workspace_dir,
                  const std::string& what);
void add_run_show(CLI::App& parent, const std::shared_ptr<std::string>& workspace_dir,
                  const std::string& what);
void register_run_files(CLI::App& run, const std::shared_ptr<std::string>& workspace_dir);
/// `glia run track` (run_track.cpp): an interactive run followed until stdin ends.
void register_run_track(CLI::App& run, const std::shared_ptr<std::string>& workspace_dir);
/// `glia python-path` (python_path.cpp): the folders of Glia's Python packages.
void register_python_path(CLI::App& app);

}  // namespace glia::cli

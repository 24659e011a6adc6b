// The glia command-line tool.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/command_path.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"
#include "glia/remote/remote.hpp"
#include "glia/version.hpp"

int main(int argc, char** argv) {
  glia::remote::enable();  // workspaces made by `glia workspace connect` reach their server
  CLI::App app{"Glia: train Keras-style neural networks fast, and keep track of them.", "glia"};
  app.set_version_flag("--version", std::string("glia ") + glia::version());
  app.require_subcommand(1);
  glia::cli::register_info(app);
  glia::cli::register_data(app);
  glia::cli::register_python_path(app);
  auto workspace_dir = std::make_shared<std::string>();
  auto* workspace_option =
      app.add_option("-w,--workspace", *workspace_dir,
                     "workspace folder (default: $GLIA_WORKSPACE, else found from the current "
                     "folder upwards)");
  // A command that does not take -w would ignore it: refuse it instead.
  const auto refuse_workspace = [workspace_option](CLI::App* command, std::string why) {
    command->parse_complete_callback([workspace_option, command, why] {
      if (workspace_option->count() > 0)
        throw CLI::ValidationError("--workspace", "'glia " + command->get_name() + "' " + why);
    });
  };
  refuse_workspace(app.get_subcommand("info"), "uses no workspace; leave -w out");
  refuse_workspace(app.get_subcommand("data"), "uses no workspace; leave -w out");
  refuse_workspace(app.get_subcommand("python-path"), "uses no workspace; leave -w out");
  app.fallthrough();
  glia::cli::register_workspace(app, workspace_dir);
  glia::cli::register_runs(app, workspace_dir);
  glia::cli::register_datasets(app, workspace_dir);
  glia::cli::register_models(app, workspace_dir);
  glia::cli::register_environments(app, workspace_dir);
  glia::cli::register_jobs(app, workspace_dir);
  glia::cli::register_compute(app, workspace_dir);
  glia::cli::register_agent(app, workspace_dir);
  glia::cli::register_access(app, workspace_dir);
  glia::cli::register_server(app, workspace_dir);
  glia::cli::register_ui(app, workspace_dir);
  glia::cli::register_endpoints(app, workspace_dir);
  glia::cli::register_train(app);
  refuse_workspace(app.get_subcommand("train"),
                   "logs to the workspace $GLIA_WORKSPACE or the current folder names (or to "
                   "its job's run); -w is not supported");
  glia::cli::register_predict(app, workspace_dir);
  glia::cli::register_evaluate(app, workspace_dir);
  // A misspelled or missing command is named before CLI11 parses (it would say "A subcommand is
  // required").
  if (auto wrong = glia::cli::unknown_command(app, argc, argv)) {
    std::fprintf(stderr, "glia: error: %s\n", glia::escape_bytes(*wrong).c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Usage errors: 2, like most Unix tools; the help to read is the command's, not the root's.
    std::fprintf(stderr, "glia: error: %s (try '%s --help')\n",
                 glia::escape_bytes(e.what()).c_str(),
                 glia::cli::command_path(glia::cli::deepest_parsed(app)).c_str());
    return 2;
  } catch (const glia::cli::ExitRequest& e) {
    return e.code;
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "glia: error: %s\n", glia::escape_bytes(e.what()).c_str());
    return glia::error_kind_info(glia::errno_kind(e.code().value())).exit_code;
  } catch (const glia::Error& e) {  // escaped again: paths and names are bytes users gave
    std::fprintf(stderr, "glia: error: %s\n", glia::escape_bytes(e.what()).c_str());
    return glia::error_kind_info(e.kind()).exit_code;  // docs/errors.md
  } catch (const std::exception& e) {  // anything else: still one line, never an abort
    std::fprintf(stderr, "glia: error: %s\n", glia::escape_bytes(e.what()).c_str());
    return 1;
  }
  return 0;
}

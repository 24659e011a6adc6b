// glia workspace init / show.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/platform/assets.hpp"
#include "glia/platform/workspace.hpp"
#include "glia/remote/remote.hpp"

namespace glia::cli {

namespace {

nlohmann::json describe(platform::Workspace& ws) {
  auto runs = ws.store().list_runs({.limit = 1000000});
  nlohmann::json j = {{"name", ws.name()},
                      {"root", ws.root().string()},
                      {"store", ws.store_location()},
                      {"schema_version", ws.store().schema_version()},
                      {"artifacts", ws.artifacts_path().string()},
                      {"experiments", ws.store().experiments()},
                      {"runs", runs.size()}};
  if (ws.is_remote())
    j["server"] = {{"url", ws.remote().url}, {"workspace", ws.remote().workspace}};
  return j;
}

void print(const nlohmann::json& j, const std::string& output) {
  if (output == "json") {
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("workspace %s\n  root:      %s\n  store:     %s (schema v%d)\n  artifacts: %s\n",
              j["name"].get<std::string>().c_str(), j["root"].get<std::string>().c_str(),
              j["store"].get<std::string>().c_str(), j["schema_version"].get<int>(),
              j["artifacts"].get<std::string>().c_str());
  std::printf("  experiments: %zu, runs: %zu\n", j["experiments"].size(), j["runs"].get<size_t>());
  if (j.contains("server"))
    std::printf("  server:    %s (workspace %s)\n", j["server"]["url"].get<std::string>().c_str(),
                j["server"]["workspace"].get<std::string>().c_str());
}

}  // namespace

void register_workspace(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("workspace", "Create or describe a workspace");
  cmd->require_subcommand(1);

  auto* init = cmd->add_subcommand("init", "Create a workspace (store, artifacts, config) in DIR");
  auto dir = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("text");
  init->add_option("dir", *dir, "folder for the workspace (created if missing)")->required();
  init->add_option("--name", *name, "workspace name (default: the folder's name)");
  auto store = std::make_shared<std::string>("sqlite");
  init->add_option(
      "--store", *store,
      "the store: sqlite (.glia/glia.db, the default) or a PostgreSQL URL "
      "postgresql://user@host:port/db (a password comes from PGPASSWORD or ~/.pgpass)");
  init->add_option("-o,--output", *output, "output format")->check(CLI::IsMember({"text", "json"}));
  init->callback([dir, name, store, output] {
    if (*store != "sqlite" && !platform::is_postgres_url(*store))
      throw Error(  // not echoed: a mistyped URL may hold a password
          "--store: expected sqlite or a postgresql://user@host:port/db URL");
    // A name given is a name like the assets' (it is quoted in URLs, listings and the web view).
    if (!name->empty()) platform::check_asset_name(*name, "workspace");
    auto ws = platform::Workspace::init(normalized_path(*dir), *name,
                                        *store == "sqlite" ? std::string() : *store);
    print(describe(ws), *output);
  });

  auto* connect = cmd->add_subcommand(
      "connect",
      "Make DIR a remote workspace: the workspace a `glia server` at URL serves, used by every "
      "command as a local one");
  struct ConnectArgs {
    std::string url, dir = ".", name, token, token_command, ca_file, output = "text";
  };
  auto c = std::make_shared<ConnectArgs>();
  connect->add_option("url", c->url, "the server, http(s)://host:port")->required();
  connect->add_option("dir", c->dir, "folder for the workspace's config (default: this one)");
  connect->add_option("--name", c->name,
                      "the served workspace (default: the only one the token opens)");
  connect->add_option("--token", c->token,
                      "an API token ('-': read it from stdin); kept in the kernel keyring, never "
                      "on disk");
  connect->add_option("--token-command", c->token_command,
                      "a command printing the token when needed (e.g. 'pass show glia'), "
                      "recorded in the config instead of the token");
  connect->add_option("--ca-file", c->ca_file, "PEM bundle to verify an https server with");
  connect->add_option("-o,--output", c->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  connect->callback([c] {
    if (!c->token.empty() && !c->token_command.empty())
      throw Error("--token and --token-command: give one of them");
    platform::RemoteConfig config{c->url, c->name, "", c->token_command};
    if (!c->ca_file.empty()) config.ca_file = normalized_path(c->ca_file).string();
    std::string token = c->token;
    if (token == "-" && !std::getline(std::cin, token)) throw Error("--token -: no token on stdin");
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) {
      // Checked now, as every command will find it: GLIA_TOKEN or the command.
      platform::RemoteConfig probe = config;
      probe.workspace = config.workspace.empty() ? "?" : config.workspace;
      token = remote::resolve_token(probe);
    }
    if (config.workspace.empty()) config.workspace = remote::only_workspace(config, token);
    remote::check_connection(config, token);  // the server answers and the token opens it
    const std::filesystem::path dir = normalized_path(c->dir);
    auto ws = platform::Workspace::connect(dir, config);  // refused for a folder with a workspace
    if (!c->token.empty()) {
      try {
        remote::keep_token(config, token);
      } catch (...) {  // nothing left behind: the folder goes with the refused token
        std::error_code ec;
        std::filesystem::remove_all(dir / ".glia", ec);
        std::filesystem::remove(dir, ec);  // only when empty: a folder made for it
        throw;
      }
    }
    print(describe(ws), c->output);
  });

  auto* show = cmd->add_subcommand("show", "Describe the current workspace");
  auto show_output = std::make_shared<std::string>("text");
  show->add_option("-o,--output", *show_output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  show->callback([workspace_dir, show_output] {
    std::optional<std::filesystem::path> explicit_dir;
    if (!workspace_dir->empty()) explicit_dir = normalized_path(*workspace_dir);
    auto ws = platform::Workspace::find(explicit_dir);
    print(describe(ws), *show_output);
  });
}

}  // namespace glia::cli

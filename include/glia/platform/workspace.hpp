// A workspace: one folder holding the store, the artifact store and a config file, found the way
// Azure's Workspace.from_config() finds its config — from the current folder upwards.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "glia/platform/store.hpp"

namespace glia::platform {

class Workspace {
 public:
  /// Creates a workspace in `dir` (created if missing): `.glia/config.json`, the SQLite store
  /// `.glia/glia.db` and the artifact folder `.glia/artifacts/`. Throws glia::Error if `dir`
  /// already holds a workspace or cannot be written; a failed init leaves nothing behind.
  static Workspace init(const std::filesystem::path& dir, const std::string& name = "");
  /// Opens the workspace at `dir` (which must hold `.glia/config.json`).
  static Workspace open(const std::filesystem::path& dir);
  /// The workspace for a command: `explicit_dir` if given, else $GLIA_WORKSPACE, else the first
  /// folder from `start` upwards holding `.glia/config.json`. Throws glia::Error saying how to
  /// create one when none is found.
  static Workspace find(const std::optional<std::filesystem::path>& explicit_dir,
                        const std::filesystem::path& start = std::filesystem::current_path());

  const std::filesystem::path& root() const { return root_; }
  const std::string& name() const { return name_; }
  std::filesystem::path config_path() const { return root_ / ".glia" / "config.json"; }
  std::filesystem::path store_path() const { return root_ / ".glia" / "glia.db"; }
  std::filesystem::path artifacts_path() const { return root_ / ".glia" / "artifacts"; }
  /// The workspace's store, opened on first use.
  Store& store();

 private:
  Workspace(std::filesystem::path root, std::string name);
  std::filesystem::path root_;
  std::string name_;
  std::shared_ptr<Store> store_;
};

}  // namespace glia::platform

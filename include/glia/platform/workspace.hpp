// A workspace: one folder holding the store, the artifact store and a config file, found the way
// Azure's Workspace.from_config() finds its config — from the current folder upwards.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/remote_link.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

class Workspace;
/// Throws glia::Error (Conflict) for a remote workspace: "`what` on its server" — for what acts on
/// this machine's processes and files (an agent, its jobs, serving it).
void require_local_workspace(const Workspace& ws, const std::string& what);

class Workspace {
 public:
  /// Creates a workspace in `dir` (created if missing): `.glia/config.json`, the SQLite store
  /// `.glia/glia.db` and the artifact folder `.glia/artifacts/`. Throws glia::Error if `dir`
  /// already holds a workspace or cannot be written; a failed init leaves nothing behind.
  /// With `store_url` (postgresql://user@host:port/db) the store is that PostgreSQL database
  /// instead (migrated now); a URL carrying a password is refused before anything is written
  /// (PGPASSWORD or ~/.pgpass give it to libpq: the config never holds a secret).
  static Workspace init(const std::filesystem::path& dir, const std::string& name = "",
                        const std::string& store_url = "");
  /// Makes `dir` (created if missing) a remote workspace: `.glia/config.json` naming the server's
  /// workspace (no secret in it) and `.glia/artifacts/`, the cache of its blobs. Throws
  /// glia::Error (Conflict) if `dir` already holds a workspace; a failed connect leaves nothing.
  static Workspace connect(const std::filesystem::path& dir, const RemoteConfig& remote);
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
  /// The PostgreSQL store's URL, or "" for the SQLite store at store_path().
  const std::string& store_url() const { return store_url_; }
  /// Where the store is, as messages show it: store_path(), or the URL without a password.
  std::string store_location() const;
  std::filesystem::path artifacts_path() const { return root_ / ".glia" / "artifacts"; }
  /// The artifact store; for a remote workspace, a cache that fetches missing blobs.
  ArtifactStore artifacts();
  /// The workspace's store, opened on first use.
  Store& store();

  /// A workspace served by `glia server` (Workspace::connect): its config, and the link to it.
  bool is_remote() const { return remote_.has_value(); }
  const RemoteConfig& remote() const;
  RemoteLink& link();
  /// Where the workspace's runs live: root(), or for a remote workspace the server's folder.
  std::filesystem::path runs_root();

 private:
  Workspace(std::filesystem::path root, std::string name, std::string store_url = "");
  std::filesystem::path root_;
  std::string name_;
  std::string store_url_;
  std::optional<RemoteConfig> remote_;
  std::shared_ptr<RemoteLink> link_;
  std::shared_ptr<Store> store_;
};

}  // namespace glia::platform

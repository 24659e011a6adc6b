#include "glia/platform/workspace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

constexpr int kConfigVersion = 1;

// Folders an older Glia made 0755 (readable by every local user) become shared folders: .glia
// as `workspace init` makes it, the folders under it with .glia's mode.
void tighten_store_folders(const fs::path& meta) {
  tighten_folder(meta, under_umask(kSharedFolderMode));
  struct stat st {};
  if (::stat(meta.c_str(), &st) != 0) return;
  const mode_t mode = st.st_mode & 02777;
  tighten_folder(meta / "artifacts", mode);
  std::error_code ec;
  for (fs::directory_iterator it(meta / "artifacts", ec), end; !ec && it != end; it.increment(ec)) {
    tighten_folder(it->path(), mode);
    if (it->path().filename() != "blobs") continue;
    std::error_code ec2;
    for (fs::directory_iterator b(it->path(), ec2); !ec2 && b != end; b.increment(ec2))
      tighten_folder(b->path(), mode);
  }
}

// A PostgreSQL URL for a workspace's config: one libpq can read, with no password in it.
void check_store_url(const std::string& url, const std::string& where) {
  if (!is_postgres_url(url))
    throw Error(where +  // the text is not echoed: it may hold a password
                "the store URL is not valid: expected postgresql://user@host:port/db");
  if (postgres_url_has_password(url))
    throw Error(where + "store URL '" + postgres_url_for_display(url) +
                "' carries a password, which would be stored in clear: give it in PGPASSWORD or "
                "~/.pgpass (libpq reads both) and use the URL without it");
}

// The "store" entry of a config: "" for SQLite (the default), else the PostgreSQL URL.
std::string store_url_of(const nlohmann::json& j, const fs::path& config) {
  const std::string where = "'" + config.string() + "': ";
  if (!j.contains("store")) return "";
  const auto& store = j["store"];
  if (!store.is_object() || !store.contains("type") || !store["type"].is_string())
    throw Error(where + "'store' must be an object with a string 'type' (sqlite or postgresql)");
  const std::string type = store["type"].get<std::string>();
  if (type == "sqlite") return "";
  if (type != "postgresql")
    throw Error(where + "unknown store type '" + type + "' (expected sqlite or postgresql)");
  if (!store.contains("url") || !store["url"].is_string())
    throw Error(where + "a postgresql store needs a string 'url'");
  const std::string url = store["url"].get<std::string>();
  check_store_url(url, where);
  return url;
}

// The "remote" entry of a config (Workspace::connect), checked; nullopt when there is none.
std::optional<RemoteConfig> remote_of(const nlohmann::json& j, const fs::path& config) {
  if (!j.contains("remote")) return std::nullopt;
  const std::string where = "'" + config.string() + "': ";
  const auto& r = j["remote"];
  if (!r.is_object()) throw Error(where + "'remote' must be an object");
  RemoteConfig out;
  for (const auto& [key, value] : r.items()) {
    if (!value.is_string()) throw Error(where + "remote." + key + " must be a string");
    const std::string v = value.get<std::string>();
    if (key == "url")
      out.url = v;
    else if (key == "workspace")
      out.workspace = v;
    else if (key == "ca_file")
      out.ca_file = v;
    else if (key == "token_command")
      out.token_command = v;
    else
      throw Error(where + "unknown key remote." + key +
                  " (expected url, workspace, ca_file, token_command)");
  }
  if (out.url.empty() || out.workspace.empty())
    throw Error(where + "a remote workspace needs remote.url and remote.workspace");
  return out;
}

std::mutex connector_mutex;
RemoteConnector& connector() {
  static RemoteConnector c;
  return c;
}

}  // namespace

void set_remote_connector(RemoteConnector c) {
  std::lock_guard lock(connector_mutex);
  connector() = std::move(c);
}

Workspace::Workspace(fs::path root, std::string name, std::string store_url)
    : root_(std::move(root)), name_(std::move(name)), store_url_(std::move(store_url)) {}

std::string Workspace::store_location() const {
  if (remote_) return remote_->url + " (workspace " + remote_->workspace + ")";
  return store_url_.empty() ? store_path().string() : postgres_url_for_display(store_url_);
}

// A new workspace folder: refused where one is already (Conflict); `.glia/` and its artifact
// folder made, then `config(root)` (which may create the store) written last as
// `.glia/config.json` — atomically and fsync'd, it marks the workspace complete. A failure leaves
// nothing behind. Returns the root.
static fs::path create_workspace(const fs::path& dir,
                                 const std::function<nlohmann::json(const fs::path&)>& config,
                                 bool private_config) {
  std::error_code ec;
  const fs::path root = fs::absolute(dir, ec);
  if (fs::exists(root / ".glia" / "config.json"))
    throw Error(ErrorKind::Conflict, "'" + root.string() + "' already holds a Glia workspace");
  if (fs::exists(root) && !fs::is_directory(root))
    throw Error("'" + root.string() + "' exists and is not a folder");
  const bool created_root = !fs::exists(root);
  const fs::path meta = root / ".glia";
  try {
    fs::create_directories(root);  // the user's folder: made as any other (umask)
    // The one place the umask counts: the workspace's mode, which everything under .glia follows.
    create_workspace_folder(meta);
    create_shared_folders(meta / "artifacts");
    const std::string text = config(root).dump(2) + "\n";
    write_shared_file(meta / "config.json", text);
    // A remote workspace's config is its user's alone (Workspace::open refuses it otherwise).
    if (private_config)
      fs::permissions(meta / "config.json", fs::perms::owner_read | fs::perms::owner_write);
    return root;
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(created_root ? root : meta, ec);
    throw Error("cannot create a workspace in '" + root.string() + "': " + e.code().message());
  } catch (...) {
    fs::remove_all(created_root ? root : meta, ec);
    throw;
  }
}

Workspace Workspace::init(const fs::path& dir, const std::string& name,
                          const std::string& store_url) {
  if (!store_url.empty()) check_store_url(store_url, "");  // before anything is written
  std::optional<Workspace> made;
  create_workspace(
      dir,
      [&](const fs::path& root) {
        made = Workspace(root, name.empty() ? root.filename().string() : name, store_url);
        made->store();  // creates the database (or connects) and applies the migrations
        const nlohmann::json store =
            store_url.empty() ? nlohmann::json{{"type", "sqlite"}, {"path", "glia.db"}}
                              : nlohmann::json{{"type", "postgresql"}, {"url", store_url}};
        return nlohmann::json{{"version", kConfigVersion},
                              {"name", made->name_},
                              {"store", store},
                              {"artifacts", "artifacts"}};
      },
      false);
  return std::move(*made);
}

Workspace Workspace::connect(const fs::path& dir, const RemoteConfig& remote) {
  const fs::path root = create_workspace(
      dir,
      [&](const fs::path&) {
        nlohmann::json r = {{"url", remote.url}, {"workspace", remote.workspace}};
        if (!remote.ca_file.empty()) r["ca_file"] = remote.ca_file;
        if (!remote.token_command.empty()) r["token_command"] = remote.token_command;
        return nlohmann::json{
            {"version", kConfigVersion}, {"name", remote.workspace}, {"remote", r}};
      },
      true);
  return open(root);
}

Workspace Workspace::open(const fs::path& dir) {
  std::error_code ec;
  const fs::path root = fs::absolute(dir, ec);
  const fs::path config = root / ".glia" / "config.json";
  // Read and checked through one descriptor: the owner checked below is that of the bytes read.
  const int fd = ::open(config.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(ErrorKind::NotFound,
                "'" + root.string() + "' is not a Glia workspace (no .glia/config.json)");
  struct stat st {};
  std::string text;
  {
    char buf[8192];
    ssize_t n = 0;
    const bool stat_ok = ::fstat(fd, &st) == 0;
    while (stat_ok && text.size() < (1u << 20) && (n = ::read(fd, buf, sizeof buf)) > 0)
      text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (!stat_ok || n < 0) throw Error("'" + config.string() + "': cannot be read");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + config.string() + "': not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer())
    throw Error("'" + config.string() + "': missing integer 'version'");
  if (j["version"].get<int>() > kConfigVersion)
    throw Error("'" + config.string() + "': written by a newer Glia (config version " +
                std::to_string(j["version"].get<int>()) + ")");
  std::string store_url = store_url_of(j, config);
  std::optional<RemoteConfig> remote = remote_of(j, config);
  if (remote) {
    // It names where this user's token goes and may name a command to run: only a config this
    // user owns, and no one else may change, is followed (a planted one up the tree is not).
    if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
      throw Error(ErrorKind::Permission,
                  "'" + config.string() +
                      "': a remote workspace's config must be yours and writable by you alone "
                      "(chmod go-w it if it is yours)");
  }
  if (remote && j.contains("store"))
    throw Error("'" + config.string() + "': a remote workspace has no local 'store'");
  tighten_store_folders(root / ".glia");
  Workspace ws(root, j.value("name", root.filename().string()), std::move(store_url));
  ws.remote_ = std::move(remote);
  return ws;
}

Workspace Workspace::find(const std::optional<fs::path>& explicit_dir, const fs::path& start) {
  if (explicit_dir) return open(*explicit_dir);
  if (const char* env = std::getenv("GLIA_WORKSPACE"); env && *env) return open(env);
  std::error_code ec;
  for (fs::path p = fs::absolute(start, ec); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / ".glia" / "config.json", ec)) return open(p);
    if (p == p.root_path()) break;
  }
  throw Error(
      ErrorKind::NotFound,
      "no Glia workspace found in '" + start.string() +
          "' or its parents (create one with 'glia workspace init DIR', or pass -w DIR / set "
          "GLIA_WORKSPACE)");
}

void require_local_workspace(const Workspace& ws, const std::string& what) {
  if (ws.is_remote())
    throw Error(ErrorKind::Conflict, "'" + ws.root().string() + "' is a remote workspace (" +
                                         ws.remote().url + "): " + what + " on its server");
}

const RemoteConfig& Workspace::remote() const {
  if (!remote_) throw Error(ErrorKind::Internal, "workspace '" + name_ + "' is not remote");
  return *remote_;
}

RemoteLink& Workspace::link() {
  if (!link_) {
    RemoteConnector make;
    {
      std::lock_guard lock(connector_mutex);
      make = connector();
    }
    if (!make)
      throw Error(ErrorKind::Unavailable,
                  "'" + root_.string() + "' is a remote workspace (" + remote().url +
                      ") and this program cannot reach servers (it was built without glia_remote)");
    link_ = make(remote(), root_);
  }
  return *link_;
}

fs::path Workspace::runs_root() {
  return remote_ ? link().server_root() : root_;
}

ArtifactStore Workspace::artifacts() {
  if (!remote_) return ArtifactStore(artifacts_path());
  link();  // made now: the source holds it, not this workspace
  std::shared_ptr<RemoteLink> link = link_;
  return ArtifactStore(artifacts_path(),
                       [link](const std::string& sha256, const ArtifactStore& into) {
                         return link->fetch_blob(sha256, into);
                       });
}

Store& Workspace::store() {
  if (!store_ && remote_) store_ = link().store();
  if (!store_)
    store_ = store_url_.empty() ? open_sqlite_store(store_path().string())
                                : open_postgres_store(store_url_);
  return *store_;
}

}  // namespace glia::platform

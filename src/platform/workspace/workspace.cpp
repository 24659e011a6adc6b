#include "glia/platform/workspace.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
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

}  // namespace

Workspace::Workspace(fs::path root, std::string name)
    : root_(std::move(root)), name_(std::move(name)) {}

Workspace Workspace::init(const fs::path& dir, const std::string& name) {
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
    Workspace ws(root, name.empty() ? root.filename().string() : name);
    ws.store();  // creates the database and applies the migrations
    nlohmann::json config = {{"version", kConfigVersion},
                             {"name", ws.name_},
                             {"store", {{"type", "sqlite"}, {"path", "glia.db"}}},
                             {"artifacts", "artifacts"}};
    // Written last (temporary file, fsync, rename, fsync of .glia/): marks the workspace complete.
    write_shared_file(ws.config_path(), config.dump(2) + "\n");
    return ws;
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(created_root ? root : meta, ec);
    throw Error("cannot create a workspace in '" + root.string() + "': " + e.code().message());
  } catch (...) {
    fs::remove_all(created_root ? root : meta, ec);
    throw;
  }
}

Workspace Workspace::open(const fs::path& dir) {
  std::error_code ec;
  const fs::path root = fs::absolute(dir, ec);
  const fs::path config = root / ".glia" / "config.json";
  std::ifstream in(config);
  if (!in)
    throw Error(ErrorKind::NotFound,
                "'" + root.string() + "' is not a Glia workspace (no .glia/config.json)");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + config.string() + "': not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer())
    throw Error("'" + config.string() + "': missing integer 'version'");
  if (j["version"].get<int>() > kConfigVersion)
    throw Error("'" + config.string() + "': written by a newer Glia (config version " +
                std::to_string(j["version"].get<int>()) + ")");
  tighten_store_folders(root / ".glia");
  return Workspace(root, j.value("name", root.filename().string()));
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

Store& Workspace::store() {
  if (!store_) store_ = open_sqlite_store(store_path().string());
  return *store_;
}

}  // namespace glia::platform

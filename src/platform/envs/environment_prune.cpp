// glia environment prune: the builds no version that is not archived needs go (unpublished
// first), and so do the folders failed, killed or replaced builds left. A spec being built (its
// lock held) is skipped; a build a job runs in is left (remove_build).
#include <set>

#include "envs/build_layout.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

void prune_hash(Workspace& ws, const fs::path& root, const std::string& hash, bool dry_run,
                PruneResult& out) {
  std::error_code ec;
  // Not waiting: a spec being built is skipped. A dry run makes no lock file.
  const fs::path lock_file = envs::build_lock_path(root, hash);
  std::optional<envs::FileLock> lock;
  if (!dry_run || fs::exists(lock_file, ec)) {
    lock = envs::FileLock::try_take(lock_file, !dry_run);
    if (!lock) {
      out.busy.push_back(hash);
      return;
    }
  }
  // Needed? Asked under the lock, so a version registered and built meanwhile counts.
  bool needed = false;
  for (const auto& v : ws.store().list_environments())
    if (!v.archived && v.build_hash == hash) needed = true;
  const std::string published = needed ? envs::published_build(root, hash) : std::string();
  if (!needed && !dry_run && fs::is_symlink(root / hash, ec))
    fs::remove(root / hash);  // unpublished before anything goes (a failure stops this hash)
  for (const std::string& build : envs::builds_of(root, hash)) {
    if (needed && build == published) continue;
    envs::remove_build(root, build, dry_run, out);
  }
  if (dry_run) return;
  for (const auto& entry : fs::directory_iterator(root, ec)) {  // links a killed builder left
    const std::string name = entry.path().filename().string();
    if (name.rfind("." + hash + ".link-", 0) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace

PruneResult prune_environments(Workspace& ws, bool dry_run) {
  PruneResult out;
  const fs::path root = environments_root(ws);
  std::error_code ec;
  std::set<std::string> hashes;  // every hash with a build or a link
  for (const auto& entry : fs::directory_iterator(root / "builds", ec)) {
    const std::string name = entry.path().filename().string();
    const std::string hash = name.substr(0, name.find('-'));
    if (envs::is_build_hash(hash)) hashes.insert(hash);
  }
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (envs::is_build_hash(name)) hashes.insert(name);
    if (name.size() > 65 && name[0] == '.' && envs::is_build_hash(name.substr(1, 64)))
      hashes.insert(name.substr(1, 64));  // .<hash>.link-<nonce>: a link never renamed
  }
  for (const std::string& hash : hashes) {
    try {
      prune_hash(ws, root, hash, dry_run, out);
    } catch (const std::exception& e) {  // one spec's trouble stops nothing else
      out.failed.push_back(hash + ": " + e.what());
    }
  }
  return out;
}

}  // namespace glia::platform

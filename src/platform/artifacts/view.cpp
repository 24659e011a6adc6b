// Read-only views of a manifest: links into the blob store, no bytes copied.
#include <sys/stat.h>

#include <set>

#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

void ArtifactStore::link_view(const std::string& manifest_sha256, const fs::path& dest) const {
  const std::vector<ManifestEntry> entries = manifest(manifest_sha256);
  std::error_code ec;
  if (fs::exists(dest, ec))
    throw Error(ErrorKind::Conflict, "cannot make a view at '" + dest.string() + "': it exists");
  ArtifactStore writable = *this;  // fetching adds blobs: files, not members
  fetch_missing_blobs(writable, entries);
  std::set<fs::path> folders{dest};
  for (const ManifestEntry& e : entries) {  // paths were validated by manifest(): no ".."
    const fs::path target = dest / e.path;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      throw Error(errno_kind(ec.value()),
                  "cannot create '" + target.parent_path().string() + "': " + ec.message());
    for (fs::path p = target.parent_path(); p != dest && folders.insert(p).second;)
      p = p.parent_path();
    // A hard link shares the read-only blob's inode: no bytes copied, and (unlike a symbolic
    // link to a 64-digit name) no block of its own. Another file system: a symbolic link.
    const fs::path blob = blob_path(e.sha256);
    fs::create_hard_link(blob, target, ec);
    if (ec) {
      ec.clear();
      fs::create_symlink(blob, target, ec);
    }
    if (ec)
      throw Error(errno_kind(ec.value()), "cannot link '" + target.string() + "': " + ec.message());
  }
  fs::create_directories(dest, ec);
  // Nothing added or removed; never more than the workspace's owner and group may read: the
  // store's folder mode (the workspace's, shared_files.hpp) without write bits.
  const mode_t read_only = folder_mode(root_) & 02550;
  for (const fs::path& f : folders) ::chmod(f.c_str(), read_only);
}

}  // namespace glia::platform

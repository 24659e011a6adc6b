// Code snapshots: a folder's files stored as blobs plus a canonical JSON manifest naming them,
// and the way back (manifest, materialize).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <system_error>

#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "ignore_rules.hpp"
#include "sha256.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifestFormat = "glia-snapshot-1";

struct FoundFile {
  std::string rel;  // '/'-separated, relative to the snapshot root
  fs::path source;  // the file (or the symlink to it) on disk
  uint64_t size = 0;
  bool executable = false;
};

// "412.0 MB"; `whole` drops a ".0" (for limits such as "300 MB").
std::string human_size(uint64_t bytes, bool whole) {
  static constexpr const char* kUnits[] = {"bytes", "KB", "MB", "GB", "TB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  std::string s = text;
  if (whole && s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + " " + kUnits[unit];
}

bool inside(const fs::path& path, const fs::path& root) {
  const fs::path rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// A code folder whose path goes through a symbolic link (below `base`) must resolve inside
// `base`: `code: src` linking to /etc would otherwise snapshot /etc.
void check_code_link(const fs::path& dir, const fs::path& base_in) {
  std::error_code ec;
  const fs::path base = fs::absolute(base_in.empty() ? fs::current_path(ec) : base_in, ec);
  const fs::path path = fs::absolute(dir, ec).lexically_normal();
  bool through_link = false;
  fs::path prefix;
  for (const fs::path& part : path) {
    prefix /= part;
    const fs::path rel = base.lexically_normal().lexically_relative(prefix);
    const bool above_base = !rel.empty() && *rel.begin() != "..";  // prefix holds the base
    if (!above_base && fs::is_symlink(prefix, ec)) through_link = true;
  }
  if (!through_link) return;
  const fs::path real = fs::canonical(path, ec);
  const fs::path real_base = fs::canonical(base, ec);
  if (ec || (real != real_base && !inside(real, real_base)))
    throw Error(ErrorKind::InvalidArgument,  // a bad path in the job file, not the OS refusing
                "code folder '" + dir.string() + "' is a symbolic link to '" + real.string() +
                    "', outside '" + real_base.string() + "' (the folder of the job file)");
}

// Walks `folder` (relative path `prefix`) in sorted order, collecting the files to store.
class Walker {
 public:
  Walker(const fs::path& root, const artifacts::IgnoreRules& rules,
         const std::function<void(const std::string&)>& warn)
      : rules_(rules), warn_(warn) {
    std::error_code ec;
    canonical_root_ = fs::canonical(root, ec);
    if (ec) canonical_root_ = root;
  }

  void walk(const fs::path& folder, const std::string& prefix) {
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    if (ec == std::errc::permission_denied && !prefix.empty()) {
      warn("skipped the folder '" + prefix + "': cannot read it (" + ec.message() + ")");
      return;
    }
    if (ec)
      throw Error(errno_kind(ec.value()), "cannot read '" + folder.string() + "': " + ec.message());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (name == ".git" || name == ".glia") continue;
      const fs::path path = folder / name;
      const std::string rel = prefix.empty() ? name : prefix + "/" + name;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) continue;  // vanished since the listing
      if (S_ISDIR(st.st_mode)) {
        if (!rules_.ignored(rel, true)) walk(path, rel);
        continue;
      }
      if (rules_.ignored(rel, false)) continue;
      if (S_ISLNK(st.st_mode)) {
        // Followed only to a regular file inside the tree; links out of it or to folders are
        // skipped (they would leak files or loop).
        const fs::path target = fs::canonical(path, ec);
        if (ec) continue;  // leads nowhere
        if (!inside(target, canonical_root_)) {
          warn("skipped '" + rel + "': a symbolic link to '" + target.string() +
               "', outside the code folder");
          continue;
        }
        if (::stat(target.c_str(), &st) != 0) continue;
      }
      if (!S_ISREG(st.st_mode)) continue;  // sockets, fifos, devices
      if (::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0) {
        warn("skipped '" + rel + "': cannot read it (" + std::strerror(errno) + ")");
        continue;
      }
      files_.push_back({rel, path, static_cast<uint64_t>(st.st_size), (st.st_mode & S_IXUSR) != 0});
      total_ += static_cast<uint64_t>(st.st_size);
    }
  }

  std::vector<FoundFile>& files() { return files_; }
  uint64_t total() const { return total_; }

 private:
  void warn(const std::string& line) {
    if (warn_) warn_(line);
  }

  const artifacts::IgnoreRules& rules_;
  const std::function<void(const std::string&)>& warn_;
  fs::path canonical_root_;
  std::vector<FoundFile> files_;
  uint64_t total_ = 0;
};

[[noreturn]] void bad_manifest(const std::string& sha256, const std::string& why) {
  throw Error("snapshot " + sha256 + " is not a valid manifest: " + why);
}

}  // namespace

std::string ArtifactStore::snapshot(const fs::path& dir, const SnapshotOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw Error(ErrorKind::NotFound, "code folder '" + dir.string() + "' does not exist");
  if (!fs::is_directory(dir, ec)) throw Error("code folder '" + dir.string() + "' is not a folder");
  check_code_link(dir, options.base);
  const artifacts::IgnoreRules rules = artifacts::IgnoreRules::load(dir);
  Walker walker(dir, rules, options.warn);
  walker.walk(dir, "");
  if (walker.total() > options.max_bytes)
    throw Error("code folder '" + dir.string() + "' is " + human_size(walker.total(), false) +
                ", over the " + human_size(options.max_bytes, true) +
                " snapshot limit; list what to leave out in " + (dir / ".gliaignore").string());

  std::vector<FoundFile>& files = walker.files();
  std::sort(files.begin(), files.end(),
            [](const FoundFile& a, const FoundFile& b) { return a.rel < b.rel; });
  std::vector<ManifestEntry> entries;
  entries.reserve(files.size());
  for (FoundFile& f : files) {
    uint64_t size = 0;
    const std::string sha256 = put_file(f.source, &size);  // the size actually stored
    entries.push_back({f.rel, sha256, size, f.executable});
  }
  try {
    return put_manifest(entries);
  } catch (const nlohmann::json::exception&) {
    throw Error("code folder '" + dir.string() + "' holds a file name that is not valid UTF-8");
  }
}

std::string ArtifactStore::put_manifest(std::vector<ManifestEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  nlohmann::json files = nlohmann::json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& e = entries[i];
    safe_relative_path(e.path, "manifest path");
    if (i > 0 && e.path == entries[i - 1].path)
      throw Error("'" + e.path + "' would be listed twice in one manifest");
    files.push_back(
        {{"path", e.path}, {"sha256", e.sha256}, {"size", e.size}, {"executable", e.executable}});
  }
  // Where by-reference files come from is kept beside the blobs, not in the manifest: the same
  // bytes from two servers are one version.
  for (const ManifestEntry& e : entries)
    if (!e.url.empty()) add_blob_url(e.sha256, e.url);
  const nlohmann::json manifest = {{"format", kManifestFormat}, {"files", std::move(files)}};
  return put_bytes(manifest.dump());  // std::map keys: sorted, compact, so canonical
}

std::vector<ManifestEntry> ArtifactStore::manifest(const std::string& sha256) const {
  const std::string text = read_blob(sha256);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad_manifest(sha256, "not JSON");
  if (!j.is_object() || !j.contains("format") || j["format"] != kManifestFormat)
    bad_manifest(sha256, std::string("format is not \"") + kManifestFormat + "\"");
  const auto files = j.find("files");
  if (files == j.end() || !files->is_array()) bad_manifest(sha256, "no \"files\" list");
  std::vector<ManifestEntry> entries;
  entries.reserve(files->size());
  for (const nlohmann::json& f : *files) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") ||
        !f["sha256"].is_string() || !f.contains("size") || !f["size"].is_number_unsigned() ||
        !f.contains("executable") || !f["executable"].is_boolean())
      bad_manifest(sha256, "an entry lacks path, sha256, size or executable");
    ManifestEntry e;
    e.path = safe_relative_path(f["path"].get<std::string>(), "manifest path");
    e.sha256 = f["sha256"].get<std::string>();
    if (!artifacts::is_sha256_hex(e.sha256))
      bad_manifest(sha256, "entry '" + e.path + "' has no valid sha256");
    e.size = f["size"].get<uint64_t>();
    e.executable = f["executable"].get<bool>();
    if (const auto url = f.find("url"); url != f.end()) {
      if (!url->is_string() || !is_url(url->get<std::string>()))
        bad_manifest(sha256, "entry '" + e.path + "' has a url that is not http(s)");
      e.url = url->get<std::string>();
    }
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].path == entries[i - 1].path)
      bad_manifest(sha256, "'" + entries[i].path + "' is listed twice");
  return entries;
}

void ArtifactStore::materialize(const std::string& manifest_sha256, const fs::path& dest) const {
  const std::vector<ManifestEntry> entries = manifest(manifest_sha256);
  ArtifactStore writable = *this;  // fetching adds blobs: files, not members
  fetch_missing_blobs(writable, entries);
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec)
    throw Error(errno_kind(ec.value()), "cannot create '" + dest.string() + "': " + ec.message());
  const fs::path root = fs::canonical(dest, ec);
  if (ec)
    throw Error(errno_kind(ec.value()), "cannot read '" + dest.string() + "': " + ec.message());
  fs::path checked;  // the last parent folder found to lie inside dest
  for (const ManifestEntry& e : entries) {
    const fs::path target = root / e.path;
    const fs::path parent = target.parent_path();
    if (parent != checked && parent != root) {
      // Paths are validated, but a folder already in dest could be a symlink leading out.
      const fs::path real = fs::weakly_canonical(parent, ec);
      if (ec || (real != root && !inside(real, root)))
        throw Error("cannot write '" + target.string() + "': its folder leads outside '" +
                    dest.string() + "'");
      fs::create_directories(parent, ec);
      if (ec)
        throw Error(errno_kind(ec.value()),
                    "cannot create '" + parent.string() + "': " + ec.message());
      checked = parent;
    }
    copy_blob_to(e.sha256, target, e.executable);
  }
}

}  // namespace glia::platform

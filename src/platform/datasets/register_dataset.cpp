// Registering a dataset version from local folders, files and globs.
#include <glob.h>

#include <map>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

struct Found {
  fs::path source;
  bool executable = false;
  uint64_t size = 0;
};

// name in the dataset -> the file it comes from
using FileMap = std::map<std::string, Found>;

void add(FileMap& files, const std::string& name, const fs::path& source,
         const std::string& given) {
  std::error_code ec;
  const auto status = fs::status(source, ec);
  const uint64_t size = fs::file_size(source, ec);
  if (ec) throw Error("cannot read '" + source.string() + "': " + ec.message());
  auto [it, inserted] = files.emplace(
      name, Found{source, (status.permissions() & fs::perms::owner_exec) != fs::perms::none, size});
  if (!inserted && it->second.source != source)
    throw Error("'" + given + "' and another source both give the file '" + name + "' (from '" +
                it->second.source.string() + "' and '" + source.string() + "')");
}

void add_folder(FileMap& files, const fs::path& dir, const std::string& prefix,
                const std::string& given) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           dir, fs::directory_options::follow_directory_symlink, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error("cannot read '" + dir.string() + "': " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    add(files, safe_relative_path(prefix + rel, "dataset file"), it->path(), given);
  }
}

void add_source(FileMap& files, const std::string& given) {
  if (given.rfind("http://", 0) == 0 || given.rfind("https://", 0) == 0)
    throw Error("source '" + given +
                "': URL sources are not supported yet; download the files "
                "and register the local copy");
  std::error_code ec;
  if (given.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    const int rc = ::glob(given.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<fs::path> matches(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    ::globfree(&g);
    if (matches.empty()) throw Error("source '" + given + "': the pattern matches no file");
    // Named relative to the pattern's folder: the part before the first wildcard component.
    fs::path base = fs::path(given.substr(0, given.find_first_of("*?["))).parent_path();
    for (const auto& m : matches) {
      const std::string rel =
          fs::relative(m, base.empty() ? fs::path(".") : base, ec).generic_string();
      if (fs::is_directory(m, ec))
        add_folder(files, m, rel + "/", given);
      else if (fs::is_regular_file(m, ec))
        add(files, safe_relative_path(rel, "dataset file"), m, given);
    }
    return;
  }
  const fs::path p(given);
  if (fs::is_directory(p, ec))
    add_folder(files, p, "", given);
  else if (fs::is_regular_file(p, ec))
    add(files, safe_relative_path(p.filename().string(), "dataset file"), p, given);
  else
    throw Error("source '" + given + "' is not a file, folder or pattern that exists");
}

}  // namespace

namespace {

// Stores the sources' files; fills the version's manifest, counts and sources.
DatasetVersion store_files(Workspace& ws, const std::string& what,
                           const std::vector<std::string>& sources,
                           const std::function<void(uint64_t, uint64_t)>& progress) {
  if (sources.empty()) throw Error(what + ": give at least one --path");
  FileMap files;
  for (const auto& s : sources) add_source(files, s);
  if (files.empty()) throw Error(what + ": the sources hold no files");
  uint64_t total = 0, done = 0;
  for (const auto& [rel, f] : files) total += f.size;
  ArtifactStore artifacts(ws.artifacts_path());
  std::vector<ManifestEntry> entries;
  for (const auto& [rel, f] : files) {
    uint64_t size = 0;
    entries.push_back({rel, artifacts.put_file(f.source, &size), size, f.executable});
    done += size;
    if (progress) progress(done, total);
  }
  DatasetVersion d;
  d.manifest = artifacts.put_manifest(entries);
  d.file_count = static_cast<int64_t>(entries.size());
  d.total_bytes = static_cast<int64_t>(done);
  d.sources =
      nlohmann::json(sources).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return d;
}

}  // namespace

DatasetVersion register_dataset(Workspace& ws, const std::string& name,
                                const std::vector<std::string>& sources,
                                const RegisterOptions& options, bool* created) {
  check_dataset_name(name);
  DatasetVersion d = store_files(ws, "dataset '" + name + "'", sources, options.progress);
  d.name = name;
  d.description = options.description;
  d.created_by = options.created_by;
  return ws.store().create_dataset_version(d, options.force_new_version, created);
}

DatasetVersion register_anonymous_dataset(Workspace& ws, const std::string& path) {
  DatasetVersion d = store_files(ws, "input '" + path + "'", {path}, {});
  d.name = "anonymous-" + d.manifest.substr(0, 16);
  d.description = "registered by a job from " + path;
  return ws.store().create_dataset_version(d, false);
}

}  // namespace glia::platform

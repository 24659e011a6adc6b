// Registering a model version from a run's stored files or from local files.
#include <unistd.h>

#include <random>
#include <set>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "glia/platform/shared_files.hpp"
#include "glia/saving.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

bool is_under(const std::string& path, const std::string& folder) {
  return path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
         path[folder.size()] == '/';
}

// The names directly in `folder` ("" is the top) among the run's files, folders with a '/'.
std::string entries_in(const std::vector<RunFile>& files, const std::string& folder) {
  std::set<std::string> names;
  for (const RunFile& f : files) {
    if (!folder.empty() && !is_under(f.path, folder)) continue;
    const std::string rest = folder.empty() ? f.path : f.path.substr(folder.size() + 1);
    const auto slash = rest.find('/');
    names.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
  }
  std::string out;
  size_t shown = 0;
  for (const std::string& n : names) {
    if (++shown > 20) {
      out += ", … (" + std::to_string(names.size() - 20) + " more)";
      break;
    }
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

std::string missing_path_message(const std::string& run_id, const std::string& path,
                                 const std::vector<RunFile>& files) {
  std::string msg = "run '" + run_id + "' has no file or folder '" + path + "'";
  if (files.empty()) return msg + " (it has no files)";
  msg += " (its top-level paths: " + entries_in(files, "");
  // The nearest folder above `path` that the run has, when it is not the top: what it holds.
  std::string folder = path;
  for (auto slash = folder.rfind('/'); slash != std::string::npos; slash = folder.rfind('/')) {
    folder.resize(slash);
    if (const std::string inside = entries_in(files, folder); !inside.empty()) {
      msg += "; " + folder + "/ holds: " + inside;
      break;
    }
  }
  return msg + "; see: glia run files " + run_id + ")";
}

// The manifest entries of the run's files at `path`: a folder's files named relative to it, or
// the one file by its name.
std::vector<ManifestEntry> run_entries(const std::string& run_id, const std::string& path,
                                       const std::vector<RunFile>& files) {
  std::vector<ManifestEntry> entries;
  const RunFile* file = nullptr;
  for (const RunFile& f : files) {
    if (f.path == path) file = &f;
    if (is_under(f.path, path))
      entries.push_back(
          {f.path.substr(path.size() + 1), f.sha256, static_cast<uint64_t>(f.size), false, {}});
  }
  // A file and a folder of one name (stored before the stores refused that): neither is taken
  // silently for the other.
  if (file && !entries.empty())
    throw Error(ErrorKind::Conflict,
                "run '" + run_id +
                    "': " + RunFileClash{path, path + "/" + entries.front().path}.describe() +
                    "; register a path that is one or the other");
  if (file) {
    const auto slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return {{name, file->sha256, static_cast<uint64_t>(file->size), false, {}}};
  }
  if (entries.empty()) throw Error(ErrorKind::NotFound, missing_path_message(run_id, path, files));
  return entries;
}

ModelVersion from_run(Workspace& ws, const ModelRegistration& r) {
  Store& store = ws.store();
  const RunRecord run = store.get_run(*r.run_id);
  if (!is_terminal(run.status) && !r.allow_unfinished_run)
    throw Error(ErrorKind::Conflict,
                "run '" + run.id + "' is " + to_string(run.status) +
                    ": its outputs are collected when it ends; register the model once it has " +
                    "finished (glia job stream " + run.id + " waits for it)");
  std::string path = r.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  path = safe_relative_path(path, "model path");
  const std::vector<ManifestEntry> entries = run_entries(run.id, path, store.run_files(run.id));
  auto artifacts = ws.artifacts();
  ModelVersion m;
  for (const ManifestEntry& e : entries) {
    // A remote workspace's local artifacts are a cache of its server's, which holds the run's
    // files (not downloaded here): the server is asked for the blobs it lacks when the version
    // is created, and a blob it lacks too is refused then.
    if (!ws.is_remote() && !artifacts.contains(e.sha256))
      throw Error("run '" + run.id + "': the stored bytes of '" + path + "/" + e.path +
                  "' are missing from the artifact store (blob " + e.sha256 + ")");
    m.total_bytes += static_cast<int64_t>(e.size);
  }
  m.manifest = artifacts.put_manifest(entries);
  m.file_count = static_cast<int64_t>(entries.size());
  m.run_id = run.id;
  m.source_path = path;
  return m;
}

ModelVersion from_local(Workspace& ws, const ModelRegistration& r) {
  SourceOptions options;
  options.progress = r.progress;
  options.kind = "model";
  const StoredSources stored = store_sources(ws, "model '" + r.name + "'", {r.path}, options);
  ModelVersion m;
  m.manifest = stored.manifest;
  m.file_count = stored.file_count;
  m.total_bytes = stored.total_bytes;
  // Recorded as an absolute path where it is one on this machine (lineage outlives the cwd).
  std::error_code ec;
  m.source_path =
      fs::exists(r.path, ec) ? fs::absolute(r.path, ec).lexically_normal().string() : r.path;
  return m;
}

// The stored files, materialized into a temporary folder (removed after), checked.
ModelCheck verify_stored(Workspace& ws, const std::string& manifest) {
  const fs::path cache = ws.root() / ".glia" / "cache" / "models";
  create_shared_folders(cache);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%d-%08x", static_cast<int>(::getpid()),
                static_cast<unsigned>(std::random_device{}()));
  const fs::path tmp = cache / (".verify-" + manifest.substr(0, 16) + "-" + suffix);
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } remove{tmp};
  ws.artifacts().materialize(manifest, tmp);
  try {
    return verify_model_files(tmp);
  } catch (const Error& e) {
    // Messages name the registered files, not the temporary folder.
    std::string msg = e.what();
    const std::string prefix = tmp.string() + "/";
    for (auto at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix))
      msg.erase(at, prefix.size());
    throw Error(e.kind(), msg);
  }
}

}  // namespace

ModelCheck verify_model_files(const fs::path& folder) {
  LoadOptions lo;
  lo.compile = false;
  const LoadedModel loaded = load_model(folder.string(), lo);
  ModelCheck check;
  check.file = fs::path(model_file_in(folder.string())).lexically_relative(folder).string();
  check.weights = fs::path(loaded.weights_path).lexically_relative(folder).string();
  if (!loaded.reference) return check;
  check.has_reference = true;
  check.difference = reference_difference(*loaded.model, *loaded.reference);
  constexpr double tolerance = 1e-5;
  if (!(check.difference <= tolerance))
    throw Error(ErrorKind::Corrupt,
                check.file +
                    ": verification failed: outputs differ from the stored reference by "
                    "up to " +
                    std::to_string(check.difference) + " (tolerance 1e-05)");
  return check;
}

ModelVersion register_model(Workspace& ws, const ModelRegistration& r) {
  check_model_name(r.name);
  if (r.path.empty()) throw Error("model '" + r.name + "': give the --path of its files");
  for (const auto& map : {&r.tags, &r.properties})
    for (const auto& [key, value] : *map)
      if (key.empty()) throw Error("model '" + r.name + "': a tag or property needs a name");
  // Blobs and the manifest first; the version is the one transaction at the end.
  ModelVersion m = r.run_id ? from_run(ws, r) : from_local(ws, r);
  if (r.verify) {
    ModelCheck check;
    try {
      check = verify_stored(ws, m.manifest);
    } catch (const Error& e) {
      throw Error(e.kind(), "model '" + r.name + "' not registered: " + e.what());
    }
    if (r.verified) r.verified(check);
  }
  m.name = r.name;
  m.description = r.description;
  m.tags = r.tags;
  m.properties = r.properties;
  m.created_by = r.created_by;
  return ws.store().create_model_version(m);
}

}  // namespace glia::platform

// A model version's files on disk (download, the materialized cache) and its lineage.
#include <unistd.h>

#include <random>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

ModelLineage model_lineage(Store& store, const ModelVersion& m) {
  ModelLineage lineage;
  if (!m.run_id) return lineage;
  lineage.run = store.find_run(*m.run_id);
  lineage.datasets = store.run_inputs(*m.run_id);
  if (lineage.run) lineage.code_snapshot = lineage.run->code_snapshot;
  return lineage;
}

int64_t download_model(Workspace& ws, const ModelVersion& m, const fs::path& dest, bool overwrite) {
  auto artifacts = ws.artifacts();
  const std::vector<ManifestEntry> entries = artifacts.manifest(m.manifest);
  if (!overwrite) {
    std::vector<std::string> differing;
    for (const ManifestEntry& e : entries) {
      const fs::path target = dest / e.path;
      std::error_code ec;
      const fs::file_status st = fs::symlink_status(target, ec);
      if (!fs::exists(st)) continue;
      const bool same = fs::is_regular_file(st) && fs::file_size(target, ec) == e.size && !ec &&
                        sha256_file(target) == e.sha256;
      if (!same) differing.push_back(target.string());
    }
    if (!differing.empty()) {
      const std::string which = differing.size() == 1
                                    ? "'" + differing[0] + "' already exists and differs"
                                    : "'" + differing[0] + "' and " +
                                          std::to_string(differing.size() - 1) +
                                          " more files already exist and differ";
      throw Error(which + " from the files of model " + m.name + ":" + std::to_string(m.version) +
                  "; nothing was written (--overwrite replaces them)");
    }
  }
  artifacts.materialize(m.manifest, dest);
  return static_cast<int64_t>(entries.size());
}

fs::path materialize_model(Workspace& ws, const ModelVersion& m) {
  const fs::path cache = ws.root() / ".glia" / "cache" / "models";
  const fs::path dest = cache / m.manifest;
  std::error_code ec;
  if (fs::is_directory(dest, ec)) return dest;
  create_shared_folders(cache);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%d-%08x", static_cast<int>(::getpid()),
                static_cast<unsigned>(std::random_device{}()));
  const fs::path tmp = cache / (".tmp-" + m.manifest.substr(0, 16) + "-" + suffix);
  try {
    ws.artifacts().materialize(m.manifest, tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  // Complete or absent: the folder appears under its final name in one rename. Another process
  // that got there first has built the same files; its folder is kept.
  fs::rename(tmp, dest, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove_all(tmp, ec);
    if (!fs::is_directory(dest, ec))
      throw Error("cannot create the model cache '" + dest.string() + "': " + why);
  }
  return dest;
}

fs::path materialize_model(Workspace& ws, const std::string& reference) {
  return materialize_model(ws, resolve_model(ws.store(), parse_model_ref(reference)));
}

}  // namespace glia::platform

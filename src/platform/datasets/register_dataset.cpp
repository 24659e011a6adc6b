// Registering a dataset version from local folders, files, globs and http(s) URLs (stored by
// store_sources, shared with the model registry).
#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/platform/datasets.hpp"

namespace glia::platform {

namespace {

DatasetVersion as_version(const StoredSources& stored) {
  DatasetVersion d;
  d.manifest = stored.manifest;
  d.file_count = stored.file_count;
  d.total_bytes = stored.total_bytes;
  d.sources = stored.sources;
  return d;
}

}  // namespace

DatasetVersion register_dataset(Workspace& ws, const std::string& name,
                                const std::vector<std::string>& sources,
                                const RegisterOptions& options, bool* created) {
  check_dataset_name(name);
  SourceOptions stored{options.progress, options.by_reference, "dataset"};
  DatasetVersion d = as_version(store_sources(ws, "dataset '" + name + "'", sources, stored));
  d.name = name;
  d.description = options.description;
  d.created_by = options.created_by;
  return ws.store().create_dataset_version(d, options.force_new_version, created);
}

DatasetVersion register_anonymous_dataset(Workspace& ws, const std::string& path) {
  DatasetVersion d = as_version(store_sources(ws, "input '" + path + "'", {path}));
  d.name = "anonymous-" + d.manifest.substr(0, 16);
  d.description = "registered by a job from " + path;
  return ws.store().create_dataset_version(d, false);
}

void ensure_blobs(ArtifactStore& store, const std::string& manifest_sha256) {
  fetch_missing_blobs(store, store.manifest(manifest_sha256));
}

}  // namespace glia::platform

// What the store keeps of the workspace's assets (see glia/platform/store.hpp): the versions of
// datasets (datasets.hpp), models (models.hpp) and environments (environments.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace glia::platform {

/// One version of a registered dataset: the files are a manifest in the artifact store, whose
/// SHA-256 is the version's content hash.
struct DatasetVersion {
  std::string name;
  int64_t version = 0;
  std::string description;
  std::string manifest;  // SHA-256 of the manifest blob
  int64_t file_count = 0, total_bytes = 0;
  std::string sources;  // JSON list of what was registered (paths as given)
  double created_at = 0;
  std::string created_by;
  bool archived = false;
};

// ---- Models (the model registry; see glia/platform/models.hpp) ----

/// One version of a registered model (Azure's Model): its files are a manifest in the artifact
/// store. Lineage: the run it was registered from, whose run_inputs and code_snapshot say which
/// dataset versions and code made it.
struct ModelVersion {
  std::string name;
  int64_t version = 0;
  std::string description;
  std::string manifest;  // SHA-256 of the manifest blob
  int64_t file_count = 0, total_bytes = 0;
  std::optional<std::string> run_id;  // unset: registered from local files
  std::string source_path;            // in the run ("outputs/model"), or the local path as given
  std::map<std::string, std::string> tags, properties;
  double created_at = 0;
  std::string created_by;
};

/// Which model versions list_models returns: all conditions hold (AND).
struct ModelFilter {
  std::optional<std::string> name, run_id;
  /// key → value: the tag (property) has that value; key → nullopt: the key is set at all.
  std::map<std::string, std::optional<std::string>> tags, properties;
};

// ---- Environments (see glia/platform/environments.hpp) ----

/// One version of a registered environment (Azure's Environment): a normalized Python spec.
struct EnvironmentVersion {
  std::string name;
  int64_t version = 0;
  std::string description;
  std::string spec;         // the normalized spec as JSON (EnvironmentSpec::to_json)
  std::string spec_hash;    // SHA-256 of `spec`: the version's identity
  std::string build_hash;   // SHA-256 of what its build depends on (builds are shared by it)
  std::string source;       // the conda YAML or requirements text as given
  std::string source_kind;  // "conda" | "pip"
  double created_at = 0;
  std::string created_by;
  bool archived = false;
  bool anonymous = false;  // spelled inline in a job
};

}  // namespace glia::platform

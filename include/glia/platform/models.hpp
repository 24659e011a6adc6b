// The model registry (Azure's Model.register / run.register_model): named, versioned sets of
// model files stored content-addressed in the artifact store (a manifest blob per version, as
// datasets have). A version is registered from a run's stored files (a folder or a file under
// the run's outputs) or from local files, and keeps its lineage: the run it came from, that
// run's dataset inputs and its code snapshot. Every registration makes a new version (1, 2, …;
// a deleted version's number is never given again), even for unchanged files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/assets.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// check_asset_name for "model": [A-Za-z0-9][A-Za-z0-9._-]{0,254}.
void check_model_name(const std::string& name);

/// A version of `name`; without one, the newest version.
using ModelRef = AssetRef;

/// "NAME", "NAME:3", "NAME@latest", each optionally prefixed "glia:" or "azureml:".
ModelRef parse_model_ref(const std::string& text);

/// The version a reference names; glia::Error naming the model and the versions there are.
ModelVersion resolve_model(Store& store, const ModelRef& ref);

/// What verify_model_files found.
struct ModelCheck {
  std::string file;            // the model file loaded, relative to the folder
  std::string weights;         // the file its weights came from, relative to the folder
  bool has_reference = false;  // a reference sample was stored and checked
  double difference = 0.0;     // the largest difference from the stored output
};

struct ModelRegistration {
  std::string name;
  /// Set: `path` is a file or folder in this run's stored files ("outputs/model"). Unset:
  /// `path` is a local file or folder.
  std::optional<std::string> run_id;
  std::string path;
  std::string description;
  std::map<std::string, std::string> tags, properties;
  std::string created_by;
  /// From a run that has not ended: allowed when its files are stored as they are logged (the
  /// MLflow API's artifacts) rather than collected when it ends (a job's outputs).
  bool allow_unfinished_run = false;
  /// Local files: called as bytes are stored, (bytes done, bytes in all).
  std::function<void(uint64_t, uint64_t)> progress;
  /// Load the registered files (as predict would: weights required) and check the reference
  /// sample when they carry one; a failure registers nothing. `verified` then says what was
  /// checked.
  bool verify = false;
  std::function<void(const ModelCheck&)> verified;
};

/// Loads the model `folder` holds (glia::load_model with weights required) and, when it carries
/// a reference sample, checks it (tolerance 1e-5); glia::Error naming the file otherwise.
ModelCheck verify_model_files(const std::filesystem::path& folder);

/// Registers the files as the next version of `r.name` and returns it. From a run: a folder
/// gives every run file under it, named relative to it ("outputs/model" → "model.json", …); a
/// file gives itself, by its name. glia::Error (nothing registered) for an unknown run, a run
/// not finished yet (its outputs are collected when it ends), or a path the run does not hold
/// (naming the run and the paths it has). Local: a folder (its files, recursively, named
/// relative to it) or a file (by its name), stored like dataset files. The blobs and the
/// manifest are stored first and the version is one store transaction, so an interrupted
/// registration leaves no version behind. With `verify`, the stored files are materialized into
/// a temporary folder and checked (verify_model_files) before the version is created.
ModelVersion register_model(Workspace& ws, const ModelRegistration& r);

/// Where a version came from.
struct ModelLineage {
  std::optional<RunRecord> run;    // unset: registered from local files
  std::vector<RunInput> datasets;  // the run's dataset inputs (dataset, version, content hash)
  std::string code_snapshot;       // the run's code snapshot (manifest SHA-256), if it had one
};
ModelLineage model_lineage(Store& store, const ModelVersion& m);

/// Copies the version's files into `dest` (created if missing), keeping their folders. Files
/// already there with the same bytes are fine; a different file (or a folder) in the way is a
/// glia::Error naming it, with nothing written, unless `overwrite`. Returns the files copied.
int64_t download_model(Workspace& ws, const ModelVersion& m, const std::filesystem::path& dest,
                       bool overwrite);

/// A local folder holding the files of the version `reference` names (NAME[:V|@latest]), for
/// programs that load a registered model (glia predict --model NAME:V). Cached per content under
/// <workspace>/.glia/cache/models/<manifest sha256>/: built in a temporary folder and renamed
/// into place (so it is either complete or absent), reused when present. Treat it as read-only.
std::filesystem::path materialize_model(Workspace& ws, const std::string& reference);
std::filesystem::path materialize_model(Workspace& ws, const ModelVersion& m);

}  // namespace glia::platform

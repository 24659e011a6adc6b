// Versioned datasets (Azure's FileDataset): named, versioned sets of files stored
// content-addressed in the artifact store. Registering identical content again returns the
// existing version; each version's content hash is the SHA-256 of its manifest. Jobs receive a
// version as a read-only view (ro_mount) or a private copy (download), and the run records it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/assets.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

class ArtifactStore;

/// Throws glia::Error stating the rule unless `name` matches [A-Za-z0-9][A-Za-z0-9._-]{0,254}
/// (check_asset_name for "dataset").
void check_dataset_name(const std::string& name);

/// A version of `name`; without one, the newest version not archived.
using DatasetRef = AssetRef;

/// "NAME", "NAME:3", "NAME@latest", each optionally prefixed "glia:" or "azureml:"
/// (parse_asset_ref for "dataset"); to_string(AssetRef) writes one back.
DatasetRef parse_dataset_ref(const std::string& text);

/// The version a reference names; glia::Error naming the dataset and the versions there are.
DatasetVersion resolve_dataset(Store& store, const DatasetRef& ref);

struct RegisterOptions {
  std::string description;
  bool force_new_version = false;
  std::string created_by;
  /// Called as bytes are stored: (bytes done, bytes in all).
  std::function<void(uint64_t, uint64_t)> progress;
  /// URL sources keep only the URL, hash and size in the manifest, not the bytes; the file is
  /// fetched (and its hash checked) when a job or a download first needs it (ensure_blobs).
  bool by_reference = false;
};

/// Stores every file the sources name — a folder (its files, recursively, named relative to
/// it), a file (by its name), a glob (matches named relative to the glob's folder) or an http(s)
/// URL (downloaded, named by the last component of its path; see url_fetch.hpp) — and
/// registers them as the next version of `name` (or returns the newest version when its content
/// is identical, `created` false). Streams every file (bounded memory); the version row is
/// written last, in one transaction, so an interrupted registration leaves no version behind.
DatasetVersion register_dataset(Workspace& ws, const std::string& name,
                                const std::vector<std::string>& sources,
                                const RegisterOptions& options, bool* created = nullptr);

/// A local file or folder a job names directly: stored like any dataset and registered as
/// version 1 of "anonymous-<first 16 hex digits of its content hash>" (the same content always
/// gives the same name), so the run's lineage holds for it too.
DatasetVersion register_anonymous_dataset(Workspace& ws, const std::string& path);

/// Fetches the files of a manifest registered --by-reference that the store does not hold yet,
/// checking each one's hash: glia::Error "dataset file '<name>' at '<url>' changed since it was
/// registered (sha256 <got>, expected <want>)" when the remote bytes differ, or the download's
/// error. Does nothing for a manifest whose blobs are all stored.
void ensure_blobs(ArtifactStore& artifacts, const std::string& manifest_sha256);

}  // namespace glia::platform

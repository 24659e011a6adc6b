// What the versioned registries (datasets, models) share: the name rule, references
// ("NAME", "NAME:3", "NAME@latest", optionally prefixed "glia:" or "azureml:"), and storing
// local folders, files, globs and URLs in the artifact store as one manifest.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// Throws glia::Error "<kind> name '<name>' is not valid: it must match
/// [A-Za-z0-9][A-Za-z0-9._-]{0,254}" unless `name` matches that rule. `kind`: "dataset", "model".
void check_asset_name(const std::string& name, const std::string& kind);

struct AssetRef {
  std::string name;
  std::optional<int64_t> version;  // nullopt: the newest version (datasets: not archived)
};

/// "NAME", "NAME:3", "NAME@latest", each optionally prefixed "glia:" or "azureml:"; glia::Error
/// "<kind> reference '<text>': ..." otherwise (and for a name check_asset_name refuses).
AssetRef parse_asset_ref(const std::string& text, const std::string& kind);
/// "NAME:3" or "NAME@latest".
std::string to_string(const AssetRef& ref);

struct SourceOptions {
  /// Called as bytes are stored: (bytes done, bytes in all).
  std::function<void(uint64_t, uint64_t)> progress;
  /// URL sources keep only the URL, hash and size in the manifest (see RegisterOptions).
  bool by_reference = false;
  /// Names the files in errors: "<kind> file '...'".
  std::string kind = "dataset";
};

/// What store_sources stored: the manifest and what it holds.
struct StoredSources {
  std::string manifest;  // SHA-256 of the manifest blob
  int64_t file_count = 0, total_bytes = 0;
  std::string sources;  // JSON list of the sources as given (URLs with their sha256 and size)
};

/// Stores every file the sources name — a folder (its files, recursively, named relative to
/// it), a file (by its name), a glob (matches named relative to the glob's folder) or an http(s)
/// URL (downloaded, named by the last component of its path) — in the workspace's artifact
/// store, durably (one sync), then their manifest. Streams every file (bounded memory). `what`
/// names the registration in errors ("dataset 'mnist'"): no sources, no files, two sources
/// giving one name different files, a name that is not UTF-8.
StoredSources store_sources(Workspace& ws, const std::string& what,
                            const std::vector<std::string>& sources,
                            const SourceOptions& options = {});

}  // namespace glia::platform

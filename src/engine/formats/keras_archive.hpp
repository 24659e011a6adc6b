// The `.keras` zip archive (internal): metadata.json, config.json, model.weights.h5, stored
// uncompressed like Keras does.
#pragma once

#include <string>
#include <string_view>

#include "glia/saving.hpp"

namespace glia::formats {

struct ArchiveEntry {
  std::string name;
  std::string_view data;
};
/// Writes the entries (ZIP_STORED) to `path` (the caller renames it into place).
void write_archive(const std::string& path, const std::vector<ArchiveEntry>& entries);

struct ArchiveContents {
  std::string config;   // config.json
  std::string weights;  // model.weights.h5 (empty when absent)
};
/// Reads an archive from memory; entry sizes are bounded by the limits and by the archive size.
ArchiveContents read_archive(std::string_view bytes, const std::string& name,
                             const LoadLimits& limits);

}  // namespace glia::formats

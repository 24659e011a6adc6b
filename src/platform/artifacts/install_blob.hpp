// Installing a finished temporary file as a blob: the one place a blob's path and mode are
// decided (put_file, put_bytes, BlobWriter).
#pragma once

#include <filesystem>
#include <string>

#include "glia/io/atomic_file.hpp"

namespace glia::platform::artifacts {

/// Syncs and renames `tmp` to the blob `sha256` under `root` (blobs/ab/<sha256>, read-only), or
/// discards it when that blob is stored already.
void install_blob(io::TempFile& tmp, const std::filesystem::path& root, const std::string& sha256);

}  // namespace glia::platform::artifacts

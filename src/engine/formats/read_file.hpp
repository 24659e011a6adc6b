// Bounded whole-file reads for the engine's formats (internal). Writes go through
// glia::io::write_atomically (include/glia/io/atomic_file.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace glia::formats {

/// The whole file in memory; errors name the file.
std::string read_file(const std::string& path, int64_t max_bytes);

}  // namespace glia::formats

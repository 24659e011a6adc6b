// Write-then-rename for the files the engine saves (internal). The engine keeps its own small
// helper because it must not depend on the platform library.
#pragma once

#include <functional>
#include <string>

namespace glia::formats {

/// Calls `write(tmp)` to produce a temporary file beside `path`, fsyncs it, renames it over
/// `path` and fsyncs the folder. On any error the temporary file is removed and `path` is left
/// as it was.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write);

/// The whole file in memory; errors name the file.
std::string read_file(const std::string& path, int64_t max_bytes);

}  // namespace glia::formats

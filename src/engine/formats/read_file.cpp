// Bounded whole-file reads for the engine's formats.
#include "formats/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "glia/error.hpp"

namespace glia::formats {

std::string read_file(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, expected a file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path + ": cannot read its size");
  if (size > max_bytes)
    throw Error(path + ": " + std::to_string(size) + " bytes, over the limit of " +
                std::to_string(max_bytes));
  std::string data(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(data.data(), size)) throw Error(path + ": read failed");
  return data;
}

}  // namespace glia::formats

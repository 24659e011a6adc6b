// Reading an environment's conda or requirements file, bounded like job files.
#include <cerrno>
#include <fstream>

#include "glia/error.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/input_limits.hpp"

namespace glia::platform {

std::string read_environment_file(const std::filesystem::path& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(what + " '" + path.string() + "' is a folder (expected a file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw os_error(what + " '" + path.string() + "'", errno);
  std::string text(kMaxJobFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxJobFileBytes)
    throw Error(what + " '" + path.string() + "' is larger than " +
                std::to_string(kMaxJobFileBytes) + " bytes (1 MiB), the most accepted");
  return text;
}

}  // namespace glia::platform

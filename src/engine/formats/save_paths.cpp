// Where save_model writes, and the checks a caller makes on its destinations before training.
#include <unistd.h>

#include <filesystem>
#include <map>

#include "formats/model_lookup.hpp"
#include "glia/error.hpp"
#include "glia/saving.hpp"

namespace glia {

namespace fs = std::filesystem;

std::vector<std::string> files_saved_for(const std::string& path) {
  const std::string ext = formats::lower_extension(path);
  if (ext == ".keras" || ext == ".h5" || ext == ".hdf5") return {path};
  if (ext == ".json") return {path, fs::path(path).replace_extension(".h5").string()};
  throw Error(path + ": unknown model file type '" + ext + "' (expected .keras, .h5 or .json)");
}

namespace {

/// The folder `file` goes in: each existing component must be a folder, the deepest existing
/// one writable (the rest is created).
void check_destination(const std::string& file, const std::string& given) {
  std::error_code ec;
  if (fs::is_directory(file, ec))
    throw Error(given + ": cannot save to " + file + ": it is a folder");
  fs::path dir = fs::absolute(file, ec).parent_path();
  while (!dir.empty() && !fs::exists(dir, ec)) {
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  if (!fs::is_directory(dir, ec))
    throw Error(given + ": cannot save to " + file + ": " + dir.string() +
                " is a file, not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(ErrorKind::Permission,
                given + ": cannot save to " + file + ": " + dir.string() + " is not writable");
}

}  // namespace

void check_save_paths(const std::vector<std::string>& paths) {
  std::map<std::string, std::string> writer;  // file (normalized) -> the path that writes it
  for (const std::string& path : paths)
    for (const std::string& file : files_saved_for(path)) {
      check_destination(file, path);
      std::error_code ec;
      const std::string key = fs::weakly_canonical(fs::absolute(file, ec), ec).string();
      const auto [it, fresh] = writer.emplace(key, path);
      if (fresh) continue;
      if (path == it->second) throw Error("save path " + path + " is given twice");
      const bool json = formats::lower_extension(path) == ".json" ||
                        formats::lower_extension(it->second) == ".json";
      throw Error("save paths " + it->second + " and " + path + " both write " + file +
                  (json ? " (a .json config's weights go to the .h5 of the same name)" : "") +
                  "; give each its own name");
    }
}

}  // namespace glia

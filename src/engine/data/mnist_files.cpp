// Locates the four MNIST IDX files anywhere under a data folder, like the Python seed's
// glob.glob(os.path.join(data_folder, '**/train-images-idx3-ubyte.gz'), recursive=True).
#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "glia/data.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 4> kNames = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// A match ranks by: gzip first (preferred), then shallower, then path order. Deterministic,
// whatever order the directory listing comes in.
struct Match {
  bool raw;
  int depth;
  std::string path;
  bool operator<(const Match& o) const {
    return std::tie(raw, depth, path) < std::tie(o.raw, o.depth, o.path);
  }
};

}  // namespace

MnistFiles find_mnist_files(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw Error("data folder '" + folder +
                "': " + (fs::exists(folder, ec) ? "not a directory" : "no such directory"));

  std::array<std::vector<Match>, 4> found;
  auto it =
      fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error("data folder '" + folder + "': cannot list: " + ec.message());
  for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
    if (ec) throw Error("data folder '" + folder + "': cannot list: " + ec.message());
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (it->is_directory(ec)) {
      if (name.starts_with(".")) it.disable_recursion_pending();  // as glob's ** skips hidden dirs
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    for (size_t k = 0; k < kNames.size(); ++k) {
      if (name == std::string(kNames[k]) + ".gz" || name == kNames[k])
        found[k].push_back({name == kNames[k], it.depth(), p.string()});
    }
  }

  std::vector<std::string> missing;
  std::array<std::string, 4> paths;
  for (size_t k = 0; k < kNames.size(); ++k) {
    if (found[k].empty())
      missing.push_back(std::string(kNames[k]) + ".gz");
    else
      paths[k] = std::min_element(found[k].begin(), found[k].end())->path;
  }
  if (!missing.empty()) {
    std::string list = missing[0];
    for (size_t i = 1; i < missing.size(); ++i)
      list += (i + 1 == missing.size() ? " or " : ", ") + missing[i];
    if (missing.size() == kNames.size()) list = "MNIST IDX files";
    throw Error("data folder '" + folder + "': no " + list +
                " found (expected the four MNIST IDX files: train-images-idx3-ubyte.gz, "
                "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, "
                "anywhere below it; the names without .gz are accepted too)");
  }
  return {paths[0], paths[1], paths[2], paths[3]};
}

}  // namespace glia

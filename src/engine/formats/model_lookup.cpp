// Finding a model's files: the weights a model.json config takes (Keras' names, in Keras'
// order) and the model a folder holds.
#include "formats/model_lookup.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "glia/error.hpp"
#include "glia/saving.hpp"

namespace glia {

namespace fs = std::filesystem;

namespace formats {

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace formats

using formats::is_file;
using formats::lower_extension;

namespace {

/// The model that owns model.weights.h5 / model.h5 in `dir`: model.json, else model.keras, else
/// none ("").
std::string owner_of_model_weights(const fs::path& dir) {
  for (const char* name : {"model.json", "model.keras"})
    if (is_file(dir / name)) return name;
  return "";
}

// Another .json config beside `json_path` ("" when it is the folder's only one): then the
// folder's model.weights.h5 / model.h5 may be that one's as well, and neither may take them.
std::string another_config(const fs::path& json_path) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(json_path.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (name != json_path.filename().string() && lower_extension(name) == ".json" &&
        e.is_regular_file(ec))
      return name;
  }
  return "";
}

// Whether the config `json_path` may take the folder's model.weights.h5 / model.h5: it is
// model.json itself, or the folder's only config and no model.keras owns them.
bool takes_model_weights(const fs::path& json_path) {
  if (json_path.stem().string() == "model") return true;
  return owner_of_model_weights(json_path.parent_path()).empty() &&
         another_config(json_path).empty();
}

}  // namespace

std::string formats::others_weights(const std::string& json_path) {
  const fs::path p(json_path);
  const fs::path dir = p.parent_path();
  if (takes_model_weights(p)) return "";
  std::string owner = owner_of_model_weights(dir);
  if (owner.empty()) owner = "another config here (" + another_config(p) + ") as well";
  std::vector<std::string> present;
  for (const char* name : {"model.weights.h5", "model.h5"})
    if (is_file(dir / name)) present.push_back(name);
  if (present.empty()) return "";
  if (present.size() == 1) return present[0] + " there belongs to " + owner;
  return present[0] + " and " + present[1] + " there belong to " + owner;
}

std::vector<std::string> weights_candidates(const std::string& json_path) {
  const fs::path p(json_path);
  const fs::path dir = p.parent_path();
  const std::string stem = p.stem().string();
  // model.weights.h5 and model.h5 are another config's weights when model.json or model.keras
  // sits beside this one, and may be when other configs do: only model.json itself, or a config
  // alone with them, takes them.
  const bool model_names = takes_model_weights(p);
  std::vector<std::string> names = {stem + ".weights.h5"};
  if (model_names) names.push_back("model.weights.h5");
  names.push_back(stem + ".h5");
  if (model_names) names.push_back("model.h5");
  std::vector<std::string> out;
  for (const std::string& name : names) {
    const std::string c = (dir / name).string();
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

std::string model_file_in(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code ec;
  std::vector<std::string> configs, archives, h5s;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    const std::string name = e.path().filename().string();
    const std::string ext = lower_extension(name);
    if (ext == ".json") configs.push_back(name);
    if (ext == ".keras") archives.push_back(name);
    if (ext == ".h5" || ext == ".hdf5") h5s.push_back(name);
  }
  if (ec) throw os_error(folder + ": cannot list the folder", ec.value());
  // A config's weights go with it; any other .h5 is a model of its own (or weights whose
  // config is missing, which loading it explains).
  std::vector<std::string> models = archives;
  for (const std::string& c : configs) {
    models.push_back(c);
    for (const std::string& w : weights_candidates((dir / c).string())) {
      const std::string wn = fs::path(w).filename().string();
      h5s.erase(std::remove(h5s.begin(), h5s.end(), wn), h5s.end());
    }
  }
  models.insert(models.end(), h5s.begin(), h5s.end());
  std::sort(models.begin(), models.end());
  // What Glia writes to one folder (model.keras, model.json + model.h5) is one model.
  const std::vector<std::string> glia_set = {"model.h5", "model.json", "model.keras"};
  const bool only_glia = !models.empty() && std::all_of(models.begin(), models.end(), [&](auto& m) {
    return std::find(glia_set.begin(), glia_set.end(), m) != glia_set.end();
  });
  if (only_glia) {
    for (const char* name : {"model.keras", "model.json", "model.h5"})
      if (std::find(models.begin(), models.end(), name) != models.end())
        return (dir / name).string();
  }
  if (models.size() == 1) return (dir / models[0]).string();
  if (models.empty())
    throw Error(ErrorKind::NotFound,
                folder + ": the folder holds no model file (.keras, .h5, or a .json config)");
  std::string names;
  for (const std::string& m : models) names += (names.empty() ? "" : ", ") + m;
  throw Error(folder + ": the folder holds several models (" + names + "); name the file to use");
}

}  // namespace glia

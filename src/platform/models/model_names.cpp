// Model names and references ("keras-mnist", "glia:keras-mnist@latest", "keras-mnist:2"): the
// shared rules of assets.hpp, and resolving a reference to a stored version.
#include "glia/error.hpp"
#include "glia/platform/models.hpp"

namespace glia::platform {

void check_model_name(const std::string& name) {
  check_asset_name(name, "model");
}

ModelRef parse_model_ref(const std::string& text) {
  return parse_asset_ref(text, "model");
}

ModelVersion resolve_model(Store& store, const ModelRef& ref) {
  if (auto m = store.find_model(ref.name, ref.version)) return *m;
  ModelFilter same_name;
  same_name.name = ref.name;
  std::string versions;
  for (const auto& m : store.list_models(same_name))
    versions += (versions.empty() ? "" : ", ") + std::to_string(m.version);
  if (versions.empty())
    throw Error(ErrorKind::NotFound, "unknown model '" + ref.name +
                                         "' (register it with: glia model register --name " +
                                         ref.name + " --path ...)");
  throw Error(ErrorKind::NotFound, "model '" + ref.name + "' has no version " +
                                       std::to_string(ref.version.value_or(0)) +
                                       " (versions: " + versions + ")");
}

}  // namespace glia::platform

// Dataset names and references ("mnist-dataset", "glia:mnist-dataset@latest", "mnist:2"): the
// shared rules of assets.hpp, and resolving a reference to a stored version.
#include "glia/error.hpp"
#include "glia/platform/datasets.hpp"

namespace glia::platform {

void check_dataset_name(const std::string& name) {
  check_asset_name(name, "dataset");
}

DatasetRef parse_dataset_ref(const std::string& text) {
  return parse_asset_ref(text, "dataset");
}

DatasetVersion resolve_dataset(Store& store, const DatasetRef& ref) {
  if (auto d = store.find_dataset(ref.name, ref.version)) return *d;
  std::string versions;
  bool any = false;
  for (const auto& d : store.list_datasets())
    if (d.name == ref.name) {
      versions += (any ? ", " : "") + std::to_string(d.version) + (d.archived ? " (archived)" : "");
      any = true;
    }
  if (!any)
    throw Error(ErrorKind::NotFound, "unknown dataset '" + ref.name +
                                         "' (register it with: glia dataset create --name " +
                                         ref.name + " --path ...)");
  if (ref.version)
    throw Error(ErrorKind::NotFound, "dataset '" + ref.name + "' has no version " +
                                         std::to_string(*ref.version) + " (versions: " + versions +
                                         ")");
  // As for environments: no version to resolve the name to (404, exit 3).
  throw Error(ErrorKind::NotFound, "every version of dataset '" + ref.name +
                                       "' is archived (versions: " + versions +
                                       "); name one explicitly, e.g. " + ref.name + ":1");
}

}  // namespace glia::platform

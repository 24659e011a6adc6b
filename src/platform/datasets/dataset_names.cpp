// Dataset names and references ("mnist-dataset", "glia:mnist-dataset@latest", "mnist:2").
#include <charconv>

#include "glia/error.hpp"
#include "glia/platform/datasets.hpp"

namespace glia::platform {

void check_dataset_name(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !name.empty() && name.size() <= 255 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    throw Error("dataset name '" + name +
                "' is not valid: it must match [A-Za-z0-9][A-Za-z0-9._-]{0,254}");
}

DatasetRef parse_dataset_ref(const std::string& text) {
  std::string rest = text;
  for (const char* prefix : {"glia:", "azureml:"})
    if (rest.rfind(prefix, 0) == 0) rest = rest.substr(std::char_traits<char>::length(prefix));
  DatasetRef ref;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    if (rest.substr(at + 1) != "latest")
      throw Error("dataset reference '" + text + "': expected NAME@latest or NAME:VERSION");
    ref.name = rest.substr(0, at);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    ref.name = rest.substr(0, colon);
    const std::string v = rest.substr(colon + 1);
    int64_t version = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || end != v.data() + v.size() || version < 1)
      throw Error("dataset reference '" + text + "': version '" + v +
                  "' is not a positive whole number");
    ref.version = version;
  } else {
    ref.name = rest;
  }
  check_dataset_name(ref.name);
  return ref;
}

std::string to_string(const DatasetRef& ref) {
  return ref.version ? ref.name + ":" + std::to_string(*ref.version) : ref.name + "@latest";
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
    throw Error("unknown dataset '" + ref.name +
                "' (register it with: glia dataset create --name " + ref.name + " --path ...)");
  if (ref.version)
    throw Error("dataset '" + ref.name + "' has no version " + std::to_string(*ref.version) +
                " (versions: " + versions + ")");
  throw Error("every version of dataset '" + ref.name + "' is archived (versions: " + versions +
              "); name one explicitly, e.g. " + ref.name + ":1");
}

}  // namespace glia::platform

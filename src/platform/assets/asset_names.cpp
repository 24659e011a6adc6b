// Names and references shared by the versioned registries ("mnist-dataset",
// "glia:keras-mnist@latest", "mnist:2").
#include <charconv>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/assets.hpp"

namespace glia::platform {

void check_asset_name(const std::string& name, const std::string& kind) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !name.empty() && name.size() <= 255 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    throw Error(kind + " name " + quote_bytes(name) +
                " is not valid: it must match [A-Za-z0-9][A-Za-z0-9._-]{0,254}");
}

AssetRef parse_asset_ref(const std::string& text, const std::string& kind) {
  std::string rest = text;
  for (const char* prefix : {"glia:", "azureml:"})
    if (rest.rfind(prefix, 0) == 0) rest = rest.substr(std::char_traits<char>::length(prefix));
  AssetRef ref;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    if (rest.substr(at + 1) != "latest")
      throw Error(kind + " reference " + quote_bytes(text) +
                  ": expected NAME@latest or NAME:VERSION");
    ref.name = rest.substr(0, at);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    ref.name = rest.substr(0, colon);
    const std::string v = rest.substr(colon + 1);
    int64_t version = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || end != v.data() + v.size() || version < 1)
      throw Error(kind + " reference " + quote_bytes(text) + ": version " + quote_bytes(v) +
                  " is not a positive whole number");
    ref.version = version;
  } else {
    ref.name = rest;
  }
  check_asset_name(ref.name, kind);
  return ref;
}

std::string to_string(const AssetRef& ref) {
  return ref.version ? ref.name + ":" + std::to_string(*ref.version) : ref.name + "@latest";
}

}  // namespace glia::platform

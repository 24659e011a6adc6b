// EnvironmentSpec as canonical JSON, and the two hashes made of it: the version's identity (the
// whole spec) and the build's (what the venv depends on).
#include <set>
#include <string>
#include <vector>

#include "artifacts/sha256.hpp"
#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {
namespace {

/// Bumped when the way a spec becomes a venv changes. A version keeps the build hash it was
/// registered with (the store holds it; every reader uses that one), so its build stays valid;
/// versions registered after a bump get builds made the new way.
constexpr const char* kBuildFormat = "glia-env-build-1";

std::string sha256_hex(const std::string& text) {
  artifacts::Sha256 hasher;
  hasher.update(text.data(), text.size());
  return hasher.hex_digest();
}

[[noreturn]] void corrupt(const std::string& key, const std::string& expected) {
  throw Error(ErrorKind::Corrupt, "environment spec: " + key + ": expected " + expected);
}

std::string string_of(const nlohmann::json& j, const std::string& key) {
  if (!j.is_string()) corrupt(key, "a string");
  return j.get<std::string>();
}

std::vector<std::string> strings_of(const nlohmann::json& j, const std::string& key) {
  if (!j.is_array()) corrupt(key, "a list of strings");
  std::vector<std::string> out;
  for (const auto& item : j) out.push_back(string_of(item, key));
  return out;
}

/// Requirements as the hashes see them: sorted, no duplicates (the parsers make them so already;
/// a spec put together in code hashes the same as its parsed twin).
std::vector<std::string> canonical(const std::vector<std::string>& requirements) {
  const std::set<std::string> sorted(requirements.begin(), requirements.end());
  return {sorted.begin(), sorted.end()};
}

}  // namespace

nlohmann::json EnvironmentSpec::to_json() const {
  nlohmann::json j = nlohmann::json::object();  // std::map underneath: keys sorted
  if (python) j["python"] = *python;
  if (!pip.empty()) j["pip"] = canonical(pip);
  if (!conda.empty()) j["conda"] = canonical(conda);
  if (!channels.empty()) j["channels"] = channels;
  if (!variables.empty()) j["variables"] = variables;
  if (!name.empty()) j["name"] = name;
  if (!image.empty()) j["image"] = image;
  return j;
}

EnvironmentSpec EnvironmentSpec::from_json(const nlohmann::json& j) {
  if (!j.is_object()) corrupt("(top level)", "an object");
  EnvironmentSpec spec;
  for (const auto& [key, value] : j.items()) {
    if (key == "python") {
      spec.python = string_of(value, key);
    } else if (key == "pip") {
      spec.pip = strings_of(value, key);
    } else if (key == "conda") {
      spec.conda = strings_of(value, key);
    } else if (key == "channels") {
      spec.channels = strings_of(value, key);
    } else if (key == "variables") {
      if (!value.is_object()) corrupt(key, "an object of strings");
      for (const auto& [name, text] : value.items()) {
        spec.variables[name] = string_of(text, key + "." + name);
      }
    } else if (key == "name") {
      spec.name = string_of(value, key);
    } else if (key == "image") {
      spec.image = string_of(value, key);
    } else {
      throw Error(ErrorKind::Corrupt,
                  "environment spec: unknown key '" + key +
                      "' (expected python, pip, conda, channels, variables, name, image)");
    }
  }
  return spec;
}

std::string EnvironmentSpec::spec_hash() const {
  return sha256_hex(to_json().dump());
}

std::string EnvironmentSpec::build_hash() const {
  nlohmann::json j = nlohmann::json::object();
  j["format"] = kBuildFormat;
  if (python) j["python"] = *python;
  j["pip"] = canonical(pip);
  j["conda"] = canonical(conda);
  return sha256_hex(j.dump());
}

bool EnvironmentSpec::builds() const {
  return python.has_value() || !pip.empty() || !conda.empty();
}

std::vector<std::string> EnvironmentSpec::requirements() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto* list : {&conda, &pip}) {
    for (const auto& requirement : *list) {
      if (seen.insert(requirement).second) out.push_back(requirement);
    }
  }
  return out;
}

}  // namespace glia::platform

// YamlReader: checked access to job.yml's nodes (unique, known keys; scalars where expected).
#include "job_spec_yaml.hpp"

#include <set>

#include "job_spec_detail.hpp"

namespace glia::platform::job_spec_detail {

void YamlReader::error(const std::string& what) const {
  fail(file_, what);
}

YamlReader::Entries YamlReader::entries(const YAML::Node& map, const std::string& path,
                                        const std::vector<std::string>* accepted) const {
  Entries out;
  if (map.IsNull()) return out;
  if (!map.IsMap()) error(path + ": expected a mapping");
  const std::string prefix = path.empty() ? "" : path + ".";
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) error(path + ": expected scalar keys");
    const std::string key = entry.first.Scalar();
    if (!seen.insert(key).second) error("duplicate key '" + prefix + key + "'");
    if (accepted != nullptr && !contains(*accepted, key)) {
      error("unknown key '" + prefix + key + "' (expected one of: " + join(*accepted) + ")");
    }
    out.emplace_back(key, entry.second);
  }
  return out;
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& key,
                               const std::string& expected) const {
  if (node.IsNull()) return "";
  if (!node.IsScalar()) error(key + ": expected " + expected);
  return node.Scalar();
}

std::map<std::string, std::string> YamlReader::string_map(const YAML::Node& node,
                                                          const std::string& key,
                                                          bool names_are_identifiers) const {
  std::map<std::string, std::string> out;
  if (!node.IsNull() && !node.IsMap()) error(key + ": expected a mapping of names to strings");
  for (const auto& [name, value] : entries(node, key)) {
    if (names_are_identifiers && !is_identifier(name)) {
      error(key + ": invalid name '" + name + "' (expected [A-Za-z_][A-Za-z0-9_]*)");
    }
    out[name] = scalar(value, key + "." + name, "a scalar");
  }
  return out;
}

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(yaml_to_json(item));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        object[entry.first.IsScalar() ? entry.first.Scalar() : YAML::Dump(entry.first)] =
            yaml_to_json(entry.second);
      }
      return object;
    }
    default:
      return nullptr;
  }
}

}  // namespace glia::platform::job_spec_detail

// YamlReader: checked access to job.yml's nodes (unique, known keys; scalars where expected).
#include "job_spec_yaml.hpp"

#include <set>
#include <vector>

#include "glia/platform/input_limits.hpp"

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

void YamlReader::check_size(const YAML::Node& root) const {
  std::vector<YAML::Node> pending{root};  // no recursion: depth costs no stack
  std::size_t visited = 0;
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (++visited > kMaxJobFileNodes) {
      error("the YAML expands to more than " + std::to_string(kMaxJobFileNodes) +
            " nodes (aliases count each time they are used); a job file is refused beyond that");
    }
    if (node.IsSequence()) {
      for (const auto& item : node) pending.push_back(item);
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.push_back(entry.first);
        pending.push_back(entry.second);
      }
    }
  }
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

}  // namespace glia::platform::job_spec_detail

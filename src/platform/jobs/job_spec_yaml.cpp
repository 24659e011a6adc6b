// YamlReader: checked access to job.yml's nodes (unique, known keys; scalars where expected).
#include "job_spec_yaml.hpp"

#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/input_limits.hpp"

#include "job_spec_detail.hpp"
#include "yaml/unique_keys.hpp"

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
  const auto refuse = [&](yaml::KeyProblem problem, const YAML::Node& key) {
    if (problem == yaml::KeyProblem::NotScalar) error(path + ": expected scalar keys");
    error("duplicate key '" + prefix + key.Scalar() + "'");
  };
  for (auto& [key, key_node, value] : yaml::unique_entries(map, refuse)) {
    if (accepted != nullptr && !contains(*accepted, key)) {
      error("unknown key '" + prefix + key + "' (expected one of: " + join(*accepted) + ")");
    }
    out.emplace_back(key, value);
  }
  return out;
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& key,
                               const std::string& expected) const {
  if (node.IsNull()) return "";
  if (!node.IsScalar()) error(key + ": expected " + expected);
  return node.Scalar();
}

std::string YamlReader::number(const YAML::Node& node, const std::string& key,
                               const std::string& expected) const {
  const std::string text = scalar(node, key, expected);
  if (node.IsScalar() && (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")) {
    error(key + ": expected " + expected + ", got " + in_quotes(text) +
          " (quoted: YAML reads it as a string; write the number without quotes)");
  }
  return text;
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

void malformed_yaml(const YamlReader& yaml, const YAML::Exception& e) {
  const std::string at = e.mark.is_null() ? std::string()
                                          : ":" + std::to_string(e.mark.line + 1) + ":" +
                                                std::to_string(e.mark.column + 1);
  throw Error(one_line(yaml.file() + at + ": malformed YAML: " + e.msg));
}

YAML::Node load_document(const YamlReader& yaml, const std::string& text) {
  if (text.size() > kMaxJobFileBytes) {
    yaml.error("the file is larger than " + std::to_string(kMaxJobFileBytes) +
               " bytes (1 MiB), the most accepted");
  }
  return with_yaml_errors(yaml, [&] {
    // Every document is loaded, so that a second one ("---") is refused, not dropped.
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      yaml.error("the file holds " + std::to_string(documents.size()) +
                 " YAML documents (separated by ---); expected one");
    }
    YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    yaml.check_size(root);  // before anything walks the tree: aliases are bounded
    return root;
  });
}

std::string JobType::described() const {
  return "job type " + in_quotes(name) + (from_schema ? " (from $schema)" : "");
}

JobType job_type(const YamlReader& yaml, const YAML::Node& root) {
  JobType out;
  if (!root.IsMap()) return out;
  for (const auto& entry : root) {
    if (!entry.first.IsScalar() || entry.first.Scalar() != "type") continue;
    out.name = yaml.scalar(entry.second, "type", "a job type");
    return out;
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar() || entry.first.Scalar() != "$schema") continue;
    const std::string schema = yaml.scalar(entry.second, "$schema", "a schema URL");
    constexpr std::string_view kSuffix = "Job.schema.json";
    if (!schema.ends_with(kSuffix)) return out;
    const std::string file = std::filesystem::path(schema).filename().string();
    const std::string type = file.substr(0, file.size() - kSuffix.size());
    if (!type.empty()) out = JobType{type, true};
  }
  return out;
}

void refuse_unsupported_keys(const YamlReader& yaml, const YAML::Node& node) {
  if (!node.IsMap()) return;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;  // entries() reports it
    if (const auto why = unsupported_key(entry.first.Scalar())) yaml.error(yaml.key(*why));
  }
}

void require_command(const YamlReader& yaml, const JobSpec& spec) {
  if (spec.command.find_first_not_of(" \t\r\n") == std::string::npos) {
    yaml.error(yaml.key("command") + ": required (expected a non-empty string)");
  }
}

}  // namespace glia::platform::job_spec_detail

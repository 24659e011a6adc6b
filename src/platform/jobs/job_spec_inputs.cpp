// job.yml's inputs (literals, typed literals, uri_file/uri_folder) and outputs (uri_folder).
#include <string>
#include <vector>

#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform::job_spec_detail {
namespace {

const std::vector<std::string> kLiteralKeys{"type", "default", "optional", "description"};
const std::vector<std::string> kUriKeys{"type", "path", "mode", "optional", "description"};
const std::vector<std::string> kOutputKeys{"type", "mode", "description"};
const std::vector<std::string> kOutputModes{"rw_mount", "upload"};

// The declared type; without one, Azure's default (uri_folder) when a path is given.
std::string input_type(const YamlReader& yaml, const std::string& key, const YAML::Node& node) {
  std::string type;
  bool has_path = false;
  bool has_default = false;
  for (const auto& entry : node) {
    const std::string field = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (field == "type") type = yaml.scalar(entry.second, key + ".type");
    has_path = has_path || field == "path";
    has_default = has_default || field == "default";
  }
  if (type.empty() && has_path && !has_default) type = "uri_folder";
  if (!contains(literal_types(), type) && type != "uri_file" && type != "uri_folder") {
    yaml.error(key +
               ".type: " + (type.empty() ? "missing" : in_quotes(type) + " is not supported") +
               " (expected one of: " + join(literal_types()) + ", uri_file, uri_folder)");
  }
  return type;
}

}  // namespace

void parse_input(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                 const YAML::Node& node) {
  const std::string key = yaml.key("inputs." + name);
  if (!is_identifier(name)) {
    yaml.error(yaml.key("inputs") + ": invalid input name '" + name +
               "' (expected [A-Za-z_][A-Za-z0-9_]*)");
  }
  JobInput input;
  if (node.IsScalar()) {
    input.value = node.Scalar();
    spec.inputs[name] = std::move(input);
    return;
  }
  if (!node.IsMap()) yaml.error(key + ": expected a scalar or a mapping with type/default/path");
  const std::string type = input_type(yaml, key, node);
  const bool literal = contains(literal_types(), type);
  if (literal) {
    input.type = type;
  } else {
    input.kind = type == "uri_file" ? JobInput::Kind::UriFile : JobInput::Kind::UriFolder;
    input.mode = input_modes().front();
  }
  for (const auto& [field, value] : yaml.entries(node, key, literal ? &kLiteralKeys : &kUriKeys)) {
    const std::string where = key + "." + field;
    if (field == "optional") {
      const auto flag = parse_bool(yaml.scalar(value, where, "true or false"));
      if (!flag) yaml.error(where + ": expected true or false, got " + in_quotes(value.Scalar()));
      input.optional = *flag;
    } else if (field == "description") {
      input.description = yaml.scalar(value, where);
    } else if (field == "default") {
      if (!value.IsScalar()) yaml.error(where + ": expected a scalar");
      input.value = value.Scalar();
      if (const auto problem = literal_type_problem(type, input.value); !problem.empty()) {
        yaml.error(where + ": " + problem);
      }
    } else if (field == "path") {
      if (!value.IsScalar()) yaml.error(where + ": expected a path, a dataset reference or a URL");
      input.value =
          resolve_uri_path(yaml.file() + ": " + where, input.kind, value.Scalar(), yaml.base());
    } else if (field == "mode") {
      input.mode = yaml.scalar(value, where);
      if (!contains(input_modes(), input.mode)) {
        yaml.error(where + ": " + in_quotes(input.mode) +
                   " (expected one of: " + join(input_modes()) + ")");
      }
    }
  }
  spec.inputs[name] = std::move(input);
}

void parse_output(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                  const YAML::Node& node) {
  const std::string key = yaml.key("outputs." + name);
  if (!is_identifier(name)) {
    yaml.error(yaml.key("outputs") + ": invalid output name '" + name +
               "' (expected [A-Za-z_][A-Za-z0-9_]*)");
  }
  if (!node.IsNull() && !node.IsMap()) {
    yaml.error(key + ": expected a mapping with type: uri_folder");
  }
  JobOutput output;
  for (const auto& [field, value] : yaml.entries(node, key, &kOutputKeys)) {
    const std::string where = key + "." + field;
    const std::string text = yaml.scalar(value, where);
    if (field == "type" && text != "uri_folder") {
      yaml.error(where + ": " + in_quotes(text) + " is not supported (expected uri_folder)");
    }
    if (field == "mode") {
      if (!contains(kOutputModes, text)) {
        yaml.error(where + ": " + in_quotes(text) + " (expected one of: " + join(kOutputModes) +
                   ")");
      }
      output.mode = text;
    }
    if (field == "description") output.description = text;
  }
  spec.outputs[name] = std::move(output);
}

}  // namespace glia::platform::job_spec_detail

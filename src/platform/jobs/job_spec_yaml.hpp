// Reading job files' YAML nodes with checks that name the file and the key in one-line messages.
// Private to src/platform/jobs (the command-job and sweep parsers share it).
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/job_spec.hpp"

namespace glia::platform::job_spec_detail {

class YamlReader {
 public:
  using Entries = std::vector<std::pair<std::string, YAML::Node>>;

  YamlReader(std::string file, std::filesystem::path base_dir)
      : file_(std::move(file)), base_(std::move(base_dir)) {}

  const std::string& file() const { return file_; }
  /// The folder relative paths in the file resolve against.
  const std::filesystem::path& base() const { return base_; }
  /// A reader for a nested command job (a sweep's `trial:`): messages name its keys with
  /// `prefix` before them ("trial.command", "trial.inputs.x").
  YamlReader nested(const std::string& prefix) const {
    YamlReader out = *this;
    out.prefix_ = prefix_ + prefix;
    return out;
  }
  /// `key` as messages name it: with the prefix of a nested job ("" at the top level).
  std::string key(std::string_view key) const { return prefix_ + std::string(key); }

  /// Throws glia::Error("<file>: <what>").
  [[noreturn]] void error(const std::string& what) const;
  /// The mapping's entries in file order (none for null); keys must be unique scalars and, when
  /// `accepted` is given, one of those. `path` names the mapping in messages ("" = top level).
  Entries entries(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>* accepted = nullptr) const;
  /// A scalar's text ("" for null); anything else is "<key>: expected <expected>".
  std::string scalar(const YAML::Node& node, const std::string& key,
                     const std::string& expected = "a string") const;
  /// A number's text, as scalar() reads it, where the value must be a number: YAML reads a quoted
  /// scalar ('60') or one tagged !!str as a string, which is refused ("<key>: expected
  /// <expected>, got '60' (quoted: ...)"), as a sweep's numbers are (docs/sweeps.md).
  std::string number(const YAML::Node& node, const std::string& key,
                     const std::string& expected) const;
  /// Walks the whole tree once, counting every node visited (an alias each time it is used), and
  /// throws "<file>: ..." beyond kMaxJobFileNodes: after this, walking the tree is bounded.
  void check_size(const YAML::Node& root) const;
  /// A mapping of scalars to strings (tags, environment_variables).
  std::map<std::string, std::string> string_map(const YAML::Node& node, const std::string& key,
                                                bool names_are_identifiers) const;

 private:
  std::string file_;
  std::filesystem::path base_;
  std::string prefix_;
};

/// The one YAML document of a job file's text: refuses text over kMaxJobFileBytes, more than one
/// document, malformed YAML (with line:column) and trees over kMaxJobFileNodes (check_size), each
/// as "<file>: ...". Null for an empty file.
YAML::Node load_document(const YamlReader& yaml, const std::string& text);
/// "<file>[:line:col]: malformed YAML: ..." for a YAML::Exception.
[[noreturn]] void malformed_yaml(const YamlReader& yaml, const YAML::Exception& e);
/// Runs `parse`, turning a YAML::Exception it throws into malformed_yaml's error.
template <typename F>
auto with_yaml_errors(const YamlReader& yaml, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const YAML::Exception& e) {
    malformed_yaml(yaml, e);
  }
}

/// A job file's type: `type:` when given (a scalar, else an error), else the type a $schema
/// ending in "<type>Job.schema.json" names, else "command". Read before any other key, so that
/// another job type is named as such rather than its keys being "unknown".
struct JobType {
  std::string name = "command";
  bool from_schema = false;  // named by $schema, not by type:
  /// "job type 'NAME'" or "job type 'NAME' (from $schema)", for messages.
  std::string described() const;
};
JobType job_type(const YamlReader& yaml, const YAML::Node& root);

/// A YAML node as JSON, scalars typed by YAML 1.2's core schema: a plain scalar is null, a
/// boolean, an integer (decimal, 0o, 0x; int64, or uint64 beyond), a finite float or a string; a
/// quoted one (or !!str) a string. Mappings need unique scalar keys; non-finite floats, integers
/// over 64 bits and unknown tags are refused naming `key` (already prefixed).
nlohmann::json to_json(const YamlReader& yaml, const YAML::Node& node, const std::string& key);

/// The keys of a command job at the top level of job.yml, in the order messages list them.
const std::vector<std::string>& command_job_keys();
/// `distribution:` (job_spec_distribution.cpp): type mpi with process_count_per_instance.
void parse_distribution(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node);
/// Parses one command-job key (one of command_job_keys() but $schema and type) into `spec`;
/// messages name yaml.key(key). `name:` goes to `name` (finish_names reconciles it with
/// display_name). Returns false for any other key, leaving it to the caller.
bool parse_command_key(const YamlReader& yaml, JobSpec& spec, std::string& name,
                       const std::string& key, const YAML::Node& value);
/// name: and display_name: must agree; a name alone becomes the display name.
void finish_names(const YamlReader& yaml, JobSpec& spec, const std::string& name);
/// Refuses the keys of Azure's jobs Glia does not support (distribution, services, ...) among
/// `node`'s keys, with the reason (unsupported_key), before any other check of them.
void refuse_unsupported_keys(const YamlReader& yaml, const YAML::Node& node);
/// "<key>: required (expected a non-empty string)" when spec.command is blank.
void require_command(const YamlReader& yaml, const JobSpec& spec);

/// inputs.NAME and outputs.NAME (job_spec_inputs.cpp).
void parse_input(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                 const YAML::Node& node);
void parse_output(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                  const YAML::Node& node);

/// environment: a reference or an inline {image, conda_file} (job_spec_environment.cpp).
void parse_environment(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node);

}  // namespace glia::platform::job_spec_detail

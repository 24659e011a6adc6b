// Reading job.yml's YAML nodes with checks that name the file and the key in one-line messages.
// Private to src/platform/jobs (the parser's parts share it).
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

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

  /// Throws glia::Error("<file>: <what>").
  [[noreturn]] void error(const std::string& what) const;
  /// The mapping's entries in file order (none for null); keys must be unique scalars and, when
  /// `accepted` is given, one of those. `path` names the mapping in messages ("" = top level).
  Entries entries(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>* accepted = nullptr) const;
  /// A scalar's text ("" for null); anything else is "<key>: expected <expected>".
  std::string scalar(const YAML::Node& node, const std::string& key,
                     const std::string& expected = "a string") const;
  /// Walks the whole tree once, counting every node visited (an alias each time it is used), and
  /// throws "<file>: ..." beyond kMaxJobFileNodes: after this, walking the tree is bounded.
  void check_size(const YAML::Node& root) const;
  /// A mapping of scalars to strings (tags, environment_variables).
  std::map<std::string, std::string> string_map(const YAML::Node& node, const std::string& key,
                                                bool names_are_identifiers) const;

 private:
  std::string file_;
  std::filesystem::path base_;
};

/// inputs.NAME and outputs.NAME (job_spec_inputs.cpp).
void parse_input(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                 const YAML::Node& node);
void parse_output(const YamlReader& yaml, JobSpec& spec, const std::string& name,
                  const YAML::Node& node);

/// environment: a reference or an inline {image, conda_file} (job_spec_environment.cpp).
void parse_environment(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node);

}  // namespace glia::platform::job_spec_detail

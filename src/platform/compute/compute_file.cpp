// `glia compute create -f compute.yml`: a compute target's YAML file, shaped like Azure ML's
// compute YAML (name, type, description, max_instances...) with the Slurm settings. Read with
// the job files' YAML checks (jobs/job_spec_yaml.hpp): bounded, one document, unique and known
// keys, numbers unquoted, every message naming the file and the key.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/compute_file.hpp"
#include "jobs/job_spec_yaml.hpp"

namespace glia::platform {

namespace {

using job_spec_detail::YamlReader;

int64_t integer(const YamlReader& yaml, const YAML::Node& node, const std::string& key) {
  const std::string text = yaml.number(node, key, "a whole number");
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    yaml.error(key + ": expected a whole number, got " + quote_bytes(text));
  return v;
}

ComputeTarget read_compute(const YamlReader& yaml, const YAML::Node& root) {
  if (!root.IsMap()) yaml.error("expected a mapping (name:, type:, partition: ...)");
  static const std::vector<std::string> known = {
      "$schema",         "name",      "type",      "description",   "max_concurrent",
      "threads_per_job", "partition", "max_nodes", "max_instances", "min_instances",
      "account",         "qos",       "time_limit"};
  ComputeTarget t;
  bool has_name = false;
  for (const auto& [key, v] : yaml.entries(root, "", &known)) {
    if (key == "$schema") {
      yaml.scalar(v, key);
    } else if (key == "name") {
      t.name = yaml.scalar(v, key);
      has_name = true;
    } else if (key == "type") {
      t.type = yaml.scalar(v, key);
      if (t.type == "amlcompute")
        yaml.error(
            "type: 'amlcompute' is Azure's cluster: use type: slurm with a partition "
            "(docs/slurm.md)");
    } else if (key == "description") {
      t.description = yaml.scalar(v, key);
    } else if (key == "max_concurrent") {
      t.max_concurrent = integer(yaml, v, key);
    } else if (key == "threads_per_job") {
      t.threads_per_job = integer(yaml, v, key);
    } else if (key == "partition") {
      t.partition = yaml.scalar(v, key);
    } else if (key == "max_nodes" || key == "max_instances") {
      if (t.max_nodes)
        yaml.error("give max_nodes or max_instances (Azure's name for it), not both");
      t.max_nodes = integer(yaml, v, key);
    } else if (key == "min_instances") {
      if (integer(yaml, v, key) != 0)
        yaml.error(
            "min_instances must be 0 (idle nodes are powered down by Slurm's "
            "SuspendTime/SuspendProgram, not kept by Glia: docs/slurm.md)");
    } else if (key == "account") {
      t.account = yaml.scalar(v, key);
    } else if (key == "qos") {
      t.qos = yaml.scalar(v, key);
    } else if (key == "time_limit") {
      t.time_limit = yaml.scalar(v, key);
    }
  }
  if (!has_name || t.name.empty()) yaml.error("'name' is required");
  return t;
}

}  // namespace

ComputeTarget parse_compute_file(const std::string& yaml_text, const std::string& source) {
  const YamlReader yaml(source, std::filesystem::path());
  const YAML::Node root = job_spec_detail::load_document(yaml, yaml_text);
  ComputeTarget t =
      job_spec_detail::with_yaml_errors(yaml, [&] { return read_compute(yaml, root); });
  check_compute(t);
  return t;
}

}  // namespace glia::platform

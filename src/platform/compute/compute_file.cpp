// `glia compute create -f compute.yml`: a compute target's YAML file, shaped like Azure ML's
// compute YAML (name, type, description, max_instances...) with the Slurm settings.
#include <yaml-cpp/yaml.h>

#include <set>

#include "glia/error.hpp"
#include "glia/platform/compute_file.hpp"

namespace glia::platform {

namespace {

std::string text(const YAML::Node& n, const std::string& key, const std::string& source) {
  if (!n.IsScalar()) throw Error(source + ": '" + key + "' must be a text value");
  return n.as<std::string>();
}

int64_t integer(const YAML::Node& n, const std::string& key, const std::string& source) {
  try {
    if (n.IsScalar()) return n.as<int64_t>();
  } catch (const YAML::Exception&) {
  }
  throw Error(source + ": '" + key + "' must be a whole number, got '" +
              (n.IsScalar() ? n.as<std::string>() : std::string("a mapping or list")) + "'");
}

}  // namespace

ComputeTarget parse_compute_file(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(source + ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw Error(source + ": expected a mapping (name:, type:, partition: ...)");
  static const std::set<std::string> known = {
      "$schema",         "name",      "type",      "description",   "max_concurrent",
      "threads_per_job", "partition", "max_nodes", "max_instances", "min_instances",
      "account",         "qos",       "time_limit"};
  ComputeTarget t;
  bool has_name = false;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (!known.count(key)) {
      std::string all;
      for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
      throw Error(source + ": unknown key '" + key + "' (expected: " + all + ")");
    }
    if (key == "$schema") continue;
    if (key == "name") {
      t.name = text(v, key, source);
      has_name = true;
    } else if (key == "type") {
      t.type = text(v, key, source);
      if (t.type == "amlcompute")
        throw Error(source +
                    ": type 'amlcompute' is Azure's cluster: use type: slurm with a "
                    "partition (docs/slurm.md)");
    } else if (key == "description") {
      t.description = text(v, key, source);
    } else if (key == "max_concurrent") {
      t.max_concurrent = integer(v, key, source);
    } else if (key == "threads_per_job") {
      t.threads_per_job = integer(v, key, source);
    } else if (key == "partition") {
      t.partition = text(v, key, source);
    } else if (key == "max_nodes" || key == "max_instances") {
      if (t.max_nodes)
        throw Error(source + ": give max_nodes or max_instances (Azure's name for it), not both");
      t.max_nodes = integer(v, key, source);
    } else if (key == "min_instances") {
      if (integer(v, key, source) != 0)
        throw Error(source +
                    ": min_instances must be 0 (idle nodes are powered down by Slurm's "
                    "SuspendTime/SuspendProgram, not kept by Glia: docs/slurm.md)");
    } else if (key == "account") {
      t.account = text(v, key, source);
    } else if (key == "qos") {
      t.qos = text(v, key, source);
    } else if (key == "time_limit") {
      t.time_limit = text(v, key, source);
    }
  }
  if (!has_name || t.name.empty()) throw Error(source + ": 'name' is required");
  check_compute(t);
  return t;
}

}  // namespace glia::platform

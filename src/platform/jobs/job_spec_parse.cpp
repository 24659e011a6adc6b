// Reading job.yml (Azure ML CLI v2 command jobs) into a JobSpec: the command-job keys, code,
// compute, limits and resources (inputs and outputs: job_spec_inputs.cpp). The keys are parsed
// one at a time by parse_command_key, which a sweep's trial shares (sweep_spec_parse.cpp). Every
// key is checked here, so a bad file fails at submit with a one-line message naming the file and
// the key.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_file.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform {
namespace job_spec_detail {
namespace {

namespace fs = std::filesystem;

fs::path parse_code(const YamlReader& yaml, const std::string& path) {
  const std::string key = yaml.key("code");
  if (path.empty()) yaml.error(key + ": expected a folder path, got ''");
  // A NUL cuts the path where the OS reads it (a folder then walked as its own child, forever).
  if (has_control_byte(path)) yaml.error(key + ": a control character in " + in_quotes(path));
  if (path.find("://") != std::string::npos || has_dataset_prefix(path)) {
    yaml.error(key + ": expected a local folder, got " + in_quotes(path));
  }
  fs::path code = fs::path(path).is_relative() ? yaml.base() / path : fs::path(path);
  code = fs::absolute(code).lexically_normal();
  if (code.has_relative_path() && code.filename().empty()) code = code.parent_path();
  std::error_code ec;
  const auto status = fs::status(code, ec);
  if (!fs::exists(status)) {
    yaml.error(
        key + ": " + in_quotes(code.string()) +
        " does not exist (expected a folder; relative paths start at the job file's folder)");
  }
  if (!fs::is_directory(status))
    yaml.error(key + ": " + in_quotes(code.string()) + " is not a folder");
  return code;
}

std::string parse_compute(const YamlReader& yaml, const std::string& compute) {
  const std::string key = yaml.key("compute");
  if (compute.empty()) yaml.error(key + ": expected a compute name, got ''");
  if (!compute.starts_with("azureml:")) return compute;
  std::string name = compute.substr(std::string_view("azureml:").size());
  if (name.empty()) yaml.error(key + ": expected a compute name after 'azureml:'");
  return name;
}

void parse_limits(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node) {
  static const std::vector<std::string> accepted{"timeout"};
  const std::string key = yaml.key("limits.timeout");
  for (const auto& [field, value] : yaml.entries(node, yaml.key("limits"), &accepted)) {
    const std::string text = yaml.number(value, key, "a positive number of seconds");
    const auto seconds = parse_positive_number(text);
    if (!seconds)
      yaml.error(key + ": expected a positive number of seconds, got " + in_quotes(text));
    spec.timeout_seconds = seconds;
  }
}

void parse_resources(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node) {
  for (const auto& [field, value] : yaml.entries(node, yaml.key("resources"))) {
    const std::string key = yaml.key("resources." + field);
    if (field == "threads") {  // Glia's key: the job's compute threads (docs/jobs.md)
      spec.threads = thread_count(
          yaml.number(value, key, "a positive integer"),
          [&](const std::string& what) { yaml.error(what); }, key);
      continue;
    }
    if (field != "instance_count") {
      yaml.error(key + ": not supported (accepted: instance_count: M (nodes; 1 on the local " +
                 "target), threads: N)");
    }
    // More than 1 needs a multi-node target (Slurm): checked at submit, where the target is known.
    spec.instance_count = instance_count(
        yaml.number(value, key, "a positive integer"),
        [&](const std::string& what) { yaml.error(what); }, key);
  }
}

}  // namespace

int64_t thread_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                     const std::string& key) {
  const auto n = parse_count(text, 4096);
  if (!n) fail(key + ": expected a positive integer (at most 4096), got " + in_quotes(text));
  return *n;
}

const std::vector<std::string>& command_job_keys() {
  static const std::vector<std::string> keys{
      "$schema", "type",    "name",   "display_name", "experiment_name", "description",
      "tags",    "command", "code",   "compute",      "environment",     "environment_variables",
      "inputs",  "outputs", "limits", "resources",    "distribution"};
  return keys;
}

bool parse_command_key(const YamlReader& yaml, JobSpec& spec, std::string& name,
                       const std::string& key, const YAML::Node& value) {
  const std::string where = yaml.key(key);
  if (key == "name") {
    name = yaml.scalar(value, where);
  } else if (key == "display_name") {
    spec.display_name = yaml.scalar(value, where);
  } else if (key == "experiment_name") {
    spec.experiment_name = yaml.scalar(value, where);
    try {
      check_experiment_name(spec.experiment_name);
    } catch (const Error& e) {
      yaml.error(where + ": " + e.what());
    }
  } else if (key == "description") {
    spec.description = yaml.scalar(value, where);
  } else if (key == "command") {
    spec.command = yaml.scalar(value, where, "a non-empty string");
  } else if (key == "code") {
    spec.code = parse_code(yaml, yaml.scalar(value, where, "a folder path"));
  } else if (key == "environment") {
    parse_environment(yaml, spec, value);
  } else if (key == "environment_variables") {
    spec.environment_variables = yaml.string_map(value, where, true);
  } else if (key == "compute") {
    spec.compute = parse_compute(yaml, yaml.scalar(value, where, "a compute name"));
  } else if (key == "tags") {
    spec.tags = yaml.string_map(value, where, false);
  } else if (key == "inputs") {
    for (const auto& [input, node] : yaml.entries(value, where)) {
      parse_input(yaml, spec, input, node);
    }
  } else if (key == "outputs") {
    for (const auto& [output, node] : yaml.entries(value, where)) {
      parse_output(yaml, spec, output, node);
    }
  } else if (key == "limits") {
    parse_limits(yaml, spec, value);
  } else if (key == "resources") {
    parse_resources(yaml, spec, value);
  } else if (key == "distribution") {
    parse_distribution(yaml, spec, value);
  } else {
    return false;
  }
  return true;
}

void finish_names(const YamlReader& yaml, JobSpec& spec, const std::string& name) {
  if (!name.empty() && !spec.display_name.empty() && name != spec.display_name) {
    yaml.error(yaml.key("name") + ": '" + name + "' and " + yaml.key("display_name") + ": '" +
               spec.display_name +
               "' differ; Glia shows a job's name as its display name (run ids are generated), so "
               "give one of them");
  }
  if (spec.display_name.empty()) spec.display_name = name;
}

JobSpec parse_command_job(const YamlReader& yaml, const YAML::Node& root) {
  if (root.IsNull()) yaml.error("the job file is empty (expected a mapping with at least command)");
  if (!root.IsMap()) {
    yaml.error("expected a mapping of job keys (" + join(command_job_keys()) + ")");
  }
  const JobType type = job_type(yaml, root);  // a sweep's keys are not "unknown", its type is
  if (type.name == "sweep") {
    yaml.error(type.described() +
               ": a sweep is submitted as a job file (glia job submit -f FILE reads command jobs "
               "and sweeps); only a command job is accepted here");
  }
  if (type.name != "command") {
    yaml.error(type.described() + " is not supported yet; supported: command, sweep");
  }
  refuse_unsupported_keys(yaml, root);
  JobSpec spec;
  std::string name;
  for (const auto& [key, value] : yaml.entries(root, "", &command_job_keys())) {
    if (key == "$schema" || key == "type") {
      yaml.scalar(value, key);  // the type was checked above; $schema only guides editors
    } else {
      parse_command_key(yaml, spec, name, key, value);
    }
  }
  finish_names(yaml, spec, name);
  require_command(yaml, spec);
  check_placeholders(yaml.file(), spec);
  return spec;
}

}  // namespace job_spec_detail

JobSpec parse_job_spec(const std::string& yaml_text, const std::string& source_name,
                       const std::filesystem::path& base_dir) {
  const job_spec_detail::YamlReader yaml(source_name, base_dir);
  const YAML::Node root = job_spec_detail::load_document(yaml, yaml_text);
  return job_spec_detail::with_yaml_errors(
      yaml, [&] { return job_spec_detail::parse_command_job(yaml, root); });
}

JobSpec load_job_spec(const std::filesystem::path& file) {
  const job_spec_detail::JobFileText text = job_spec_detail::read_job_file(file);
  JobSpec spec = parse_job_spec(text.text, text.name, text.absolute.parent_path());
  spec.source = text.absolute;
  return spec;
}

}  // namespace glia::platform

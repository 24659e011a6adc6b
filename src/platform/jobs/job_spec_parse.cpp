// Reading job.yml (Azure ML CLI v2 command jobs) into a JobSpec: the top-level keys, code,
// compute, limits and resources (inputs and outputs: job_spec_inputs.cpp). Every key is checked
// here, so a bad file fails at submit with a one-line message naming the file and the key.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using namespace job_spec_detail;

const std::vector<std::string> kTopLevelKeys{
    "$schema", "type",    "name",   "display_name", "experiment_name", "description",
    "tags",    "command", "code",   "compute",      "environment",     "environment_variables",
    "inputs",  "outputs", "limits", "resources"};

class Parser {
 public:
  Parser(std::string file, fs::path base_dir) : yaml_(std::move(file), std::move(base_dir)) {}

  JobSpec parse(const std::string& text) {
    if (text.size() > kMaxJobFileBytes) {
      error("the job file is larger than " + std::to_string(kMaxJobFileBytes) +
            " bytes (1 MiB), the most accepted");
    }
    try {
      // Every document is loaded, so that a second one ("---") is refused, not dropped.
      const std::vector<YAML::Node> documents = YAML::LoadAll(text);
      if (documents.size() > 1) {
        error("the job file holds " + std::to_string(documents.size()) +
              " YAML documents (separated by ---); expected one");
      }
      return parse(documents.empty() ? YAML::Node() : documents.front());
    } catch (const YAML::Exception& e) {
      const std::string at = e.mark.is_null() ? std::string()
                                              : ":" + std::to_string(e.mark.line + 1) + ":" +
                                                    std::to_string(e.mark.column + 1);
      throw Error(one_line(yaml_.file() + at + ": malformed YAML: " + e.msg));
    }
  }

 private:
  [[noreturn]] void error(const std::string& what) const { yaml_.error(what); }
  std::string scalar(const YAML::Node& node, const std::string& key,
                     const std::string& expected = "a string") const {
    return yaml_.scalar(node, key, expected);
  }

  JobSpec parse(const YAML::Node& root) {
    if (root.IsNull()) error("the job file is empty (expected a mapping with at least command)");
    if (!root.IsMap()) error("expected a mapping of job keys (" + join(kTopLevelKeys) + ")");
    yaml_.check_size(root);  // before anything walks the tree: aliases are bounded
    check_type(root);        // a sweep's keys are not "unknown", its type is
    for (const auto& entry : root) {
      if (!entry.first.IsScalar()) continue;  // entries() reports it
      if (const auto why = unsupported_key(entry.first.Scalar())) error(*why);
    }
    JobSpec spec;
    std::string name;
    for (const auto& [key, value] : yaml_.entries(root, "", &kTopLevelKeys)) {
      if (key == "$schema" || key == "type") {
        scalar(value, key);  // the type was checked above; $schema only guides editors
      } else if (key == "name") {
        name = scalar(value, key);
      } else if (key == "display_name") {
        spec.display_name = scalar(value, key);
      } else if (key == "experiment_name") {
        spec.experiment_name = scalar(value, key);
        try {
          check_experiment_name(spec.experiment_name);
        } catch (const Error& e) {
          error(std::string("experiment_name: ") + e.what());
        }
      } else if (key == "description") {
        spec.description = scalar(value, key);
      } else if (key == "command") {
        spec.command = scalar(value, key, "a non-empty string");
      } else if (key == "code") {
        spec.code = parse_code(scalar(value, key, "a folder path"));
      } else if (key == "environment") {
        parse_environment(yaml_, spec, value);
      } else if (key == "environment_variables") {
        spec.environment_variables = yaml_.string_map(value, key, true);
      } else if (key == "compute") {
        spec.compute = parse_compute(scalar(value, key, "a compute name"));
      } else if (key == "tags") {
        spec.tags = yaml_.string_map(value, key, false);
      } else if (key == "inputs") {
        for (const auto& [input, node] : yaml_.entries(value, key)) {
          parse_input(yaml_, spec, input, node);
        }
      } else if (key == "outputs") {
        for (const auto& [output, node] : yaml_.entries(value, key)) {
          parse_output(yaml_, spec, output, node);
        }
      } else if (key == "limits") {
        parse_limits(spec, value);
      } else if (key == "resources") {
        parse_resources(spec, value);
      }
    }
    if (!name.empty() && !spec.display_name.empty() && name != spec.display_name) {
      error("name: '" + name + "' and display_name: '" + spec.display_name +
            "' differ; Glia shows a job's name as its display name (run ids are generated), so "
            "give one of them");
    }
    if (spec.display_name.empty()) spec.display_name = name;
    if (spec.command.find_first_not_of(" \t\r\n") == std::string::npos) {
      error("command: required (expected a non-empty string)");
    }
    check_placeholders(yaml_.file(), spec);
    return spec;
  }

  // `type:` is read before the other keys, so that another job type is named as such; without
  // one, a $schema naming another job type's schema (".../sweepJob.schema.json") names it.
  void check_type(const YAML::Node& root) const {
    for (const auto& entry : root) {
      if (!entry.first.IsScalar() || entry.first.Scalar() != "type") continue;
      const std::string type = scalar(entry.second, "type", "a job type");
      if (type != "command") {
        error("job type " + in_quotes(type) + " is not supported yet; supported: command");
      }
      return;
    }
    for (const auto& entry : root) {
      if (!entry.first.IsScalar() || entry.first.Scalar() != "$schema") continue;
      const std::string schema = scalar(entry.second, "$schema", "a schema URL");
      constexpr std::string_view kSuffix = "Job.schema.json";
      if (!schema.ends_with(kSuffix)) return;
      const std::string file = fs::path(schema).filename().string();
      const std::string type = file.substr(0, file.size() - kSuffix.size());
      if (!type.empty() && type != "command") {
        error("job type " + in_quotes(type) +
              " (from $schema) is not supported yet; supported: " + "command");
      }
    }
  }

  fs::path parse_code(const std::string& path) const {
    if (path.empty()) error("code: expected a folder path, got ''");
    if (path.find("://") != std::string::npos || has_dataset_prefix(path)) {
      error("code: expected a local folder, got " + in_quotes(path));
    }
    fs::path code = fs::path(path).is_relative() ? yaml_.base() / path : fs::path(path);
    code = fs::absolute(code).lexically_normal();
    if (code.has_relative_path() && code.filename().empty()) code = code.parent_path();
    std::error_code ec;
    const auto status = fs::status(code, ec);
    if (!fs::exists(status)) {
      error("code: " + in_quotes(code.string()) +
            " does not exist (expected a folder; relative paths start at the job file's folder)");
    }
    if (!fs::is_directory(status)) {
      error("code: " + in_quotes(code.string()) + " is not a folder");
    }
    return code;
  }

  std::string parse_compute(const std::string& compute) const {
    if (compute.empty()) error("compute: expected a compute name, got ''");
    if (!compute.starts_with("azureml:")) return compute;
    std::string name = compute.substr(std::string_view("azureml:").size());
    if (name.empty()) error("compute: expected a compute name after 'azureml:'");
    return name;
  }

  void parse_limits(JobSpec& spec, const YAML::Node& node) const {
    static const std::vector<std::string> accepted{"timeout"};
    for (const auto& [field, value] : yaml_.entries(node, "limits", &accepted)) {
      const std::string text = scalar(value, "limits.timeout", "a positive number of seconds");
      const auto seconds = parse_positive_number(text);
      if (!seconds) {
        error("limits.timeout: expected a positive number of seconds, got " + in_quotes(text));
      }
      spec.timeout_seconds = seconds;
    }
  }

  void parse_resources(JobSpec& spec, const YAML::Node& node) const {
    constexpr const char* kOnlyOne = "the local compute target runs one instance";
    for (const auto& [field, value] : yaml_.entries(node, "resources")) {
      if (field == "threads") {  // Glia's key: the job's compute threads (docs/jobs.md)
        const std::string text = scalar(value, "resources.threads", "a positive integer");
        const auto n = parse_positive_number(text);
        if (!literal_type_problem("integer", text).empty() || !n || *n > 4096)
          error("resources.threads: expected a positive integer (at most 4096), got " +
                in_quotes(text));
        spec.threads = static_cast<int64_t>(*n);
        continue;
      }
      if (field != "instance_count") {
        error("resources." + field + ": not supported (" + kOnlyOne +
              "; accepted: instance_count: 1, threads: N)");
      }
      const std::string text = scalar(value, "resources.instance_count", "1");
      if (!literal_type_problem("integer", text).empty() || parse_positive_number(text) != 1.0) {
        error("resources.instance_count: expected 1 (" + std::string(kOnlyOne) + "), got " +
              in_quotes(text));
      }
    }
  }

  YamlReader yaml_;
};

}  // namespace

JobSpec parse_job_spec(const std::string& yaml_text, const std::string& source_name,
                       const std::filesystem::path& base_dir) {
  return Parser(source_name, base_dir).parse(yaml_text);
}

JobSpec load_job_spec(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (!fs::exists(status)) throw Error(name + ": no such job file");
  if (fs::is_directory(status)) throw Error(name + ": is a folder (expected a job YAML file)");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(name + ": cannot read the job file: " + std::strerror(errno));
  // At most one byte more than the limit is read (a FIFO or /dev/zero ends here too);
  // parse_job_spec refuses the text when it is over.
  std::string text(kMaxJobFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw Error(name + ": cannot read the job file: " + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  const fs::path absolute = fs::absolute(file).lexically_normal();
  JobSpec spec = parse_job_spec(text, name, absolute.parent_path());
  spec.source = absolute;
  return spec;
}

}  // namespace glia::platform

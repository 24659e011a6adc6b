// A job's `environment:` (job_spec.hpp, JobEnvironment): a registered environment's reference,
// or an inline one as Azure CLI v2 writes it ({image, conda_file}). The reference is resolved and
// the conda file read at submit (environments.hpp); here only the shape is checked.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "envs/conda_node.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform::job_spec_detail {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kInlineKeys{"$schema", "image", "conda_file", "description",
                                           "os_type", "name",  "version",    "build"};

}  // namespace

void parse_environment(const YamlReader& yaml, JobSpec& spec, const YAML::Node& node) {
  const std::string key = yaml.key("environment");
  JobEnvironment env;
  if (node.IsScalar()) {
    env.reference = node.Scalar();
    if (env.reference.empty())
      yaml.error(key +
                 ": expected an environment (NAME@latest, NAME:VERSION) or a mapping "
                 "with conda_file and/or image");
    spec.environment = std::move(env);
    return;
  }
  if (!node.IsMap())
    yaml.error(key +
               ": expected an environment (NAME@latest, NAME:VERSION) or a mapping "
               "with conda_file and/or image");
  for (const auto& [field, value] : yaml.entries(node, key, &kInlineKeys)) {
    const std::string where = yaml.key("environment." + field);
    if (field == "image") {
      env.image = yaml.scalar(value, where, "an image name");
    } else if (field == "description") {
      env.description = yaml.scalar(value, where);
    } else if (field == "$schema") {
      yaml.scalar(value, where);  // only guides editors
    } else if (field == "os_type") {
      const std::string os = yaml.scalar(value, where, "linux");
      if (os != "linux" && os != "Linux")
        yaml.error(where + ": " + in_quotes(os) + " (jobs run on this Linux host; expected linux)");
    } else if (field == "name" || field == "version") {
      yaml.error(where +
                 ": not supported: an inline environment is registered anonymously; register a "
                 "named one with `glia environment create` and give environment: NAME:VERSION");
    } else if (field == "build") {
      yaml.error(where +
                 ": not supported: Docker build contexts need containers, and jobs run on the "
                 "host; give conda_file (a conda YAML with pip packages) instead");
    } else if (field == "conda_file") {
      if (value.IsMap()) {
        envs::parse_conda_node(value, yaml.file());  // errors at their place in the job file
        YAML::Emitter out;
        out << value;
        env.conda_yaml = out.c_str();
      } else {
        const std::string text = yaml.scalar(value, where, "a conda YAML file or a mapping");
        if (text.empty()) yaml.error(where + ": expected a conda YAML file or a mapping");
        if (has_control_byte(text))
          yaml.error(where + ": a control character in " + in_quotes(text));
        fs::path path = fs::path(text).is_absolute() ? fs::path(text) : yaml.base() / text;
        path = path.lexically_normal();
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
          yaml.error(where + ": " + in_quotes(text) + " is not a file");
        env.conda_file = path;
      }
    }
  }
  if (!env.conda_file && env.conda_yaml.empty() && env.image.empty())
    yaml.error(key + ": expected conda_file and/or image (or a reference NAME:VERSION)");
  spec.environment = std::move(env);
}

}  // namespace glia::platform::job_spec_detail

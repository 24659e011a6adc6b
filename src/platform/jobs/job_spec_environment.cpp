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
  JobEnvironment env;
  if (node.IsScalar()) {
    env.reference = node.Scalar();
    if (env.reference.empty())
      yaml.error(
          "environment: expected an environment (NAME@latest, NAME:VERSION) or a mapping "
          "with conda_file and/or image");
    spec.environment = std::move(env);
    return;
  }
  if (!node.IsMap())
    yaml.error(
        "environment: expected an environment (NAME@latest, NAME:VERSION) or a mapping "
        "with conda_file and/or image");
  for (const auto& [key, value] : yaml.entries(node, "environment", &kInlineKeys)) {
    const std::string where = "environment." + key;
    if (key == "image") {
      env.image = yaml.scalar(value, where, "an image name");
    } else if (key == "description") {
      env.description = yaml.scalar(value, where);
    } else if (key == "$schema") {
      yaml.scalar(value, where);  // only guides editors
    } else if (key == "os_type") {
      const std::string os = yaml.scalar(value, where, "linux");
      if (os != "linux" && os != "Linux")
        yaml.error(where + ": " + in_quotes(os) + " (jobs run on this Linux host; expected linux)");
    } else if (key == "name" || key == "version") {
      yaml.error(where +
                 ": not supported: an inline environment is registered anonymously; register a "
                 "named one with `glia environment create` and give environment: NAME:VERSION");
    } else if (key == "build") {
      yaml.error(where +
                 ": not supported: Docker build contexts need containers, and jobs run on the "
                 "host; give conda_file (a conda YAML with pip packages) instead");
    } else if (key == "conda_file") {
      if (value.IsMap()) {
        envs::parse_conda_node(value, yaml.file());  // errors at their place in the job file
        YAML::Emitter out;
        out << value;
        env.conda_yaml = out.c_str();
      } else {
        const std::string text = yaml.scalar(value, where, "a conda YAML file or a mapping");
        if (text.empty()) yaml.error(where + ": expected a conda YAML file or a mapping");
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
    yaml.error("environment: expected conda_file and/or image (or a reference NAME:VERSION)");
  spec.environment = std::move(env);
}

}  // namespace glia::platform::job_spec_detail

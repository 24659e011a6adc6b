// Azure CLI v2's online endpoint and deployment YAML files (`az ml online-endpoint create -f`,
// `az ml online-deployment create -f`), read for `glia endpoint create -f` / `update -f`. Glia
// runs one deployment per endpoint: the endpoint file gives the name and auth, the deployment
// file the model, the scoring code, the environment and the instances. Every key is used or
// refused with the reason; the ones that only mean something in Azure's cloud (instance_type)
// are accepted with a note the CLI prints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace glia::platform {

struct EndpointFileSpec {
  std::optional<std::string> name, auth_mode, description;
  std::map<std::string, std::string> tags;
  std::optional<std::string> model;               // a model reference
  std::optional<std::filesystem::path> code_dir;  // absolute (resolved against the file)
  std::optional<std::string> scoring_script, environment;
  std::optional<int64_t> instances, port, request_timeout_ms, max_batch_size, max_queue_delay_us,
      max_queue, max_body_bytes, max_rows;
  std::vector<std::string> notes;  // "<file>: instance_type: ..." for the CLI to print
};

/// Reads one endpoint or deployment file into `spec` (a deployment is a file with
/// `endpoint_name`, `model` or `code_configuration`, or whose $schema names one); keys already
/// set by an earlier file must agree. glia::Error "<file>[:line:col]: <key>: ..." otherwise.
void read_endpoint_file(const std::filesystem::path& file, EndpointFileSpec& spec);

}  // namespace glia::platform

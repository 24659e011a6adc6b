// Azure CLI v2 online endpoint and deployment files (endpoint_spec.hpp), read with the job
// files' YAML checks (jobs/job_spec_yaml.hpp): bounded, one document, keys named in errors.
#include <yaml-cpp/yaml.h>

#include <limits>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/endpoint_spec.hpp"
#include "jobs/job_file.hpp"
#include "jobs/job_spec_yaml.hpp"

namespace glia::platform {

namespace {

using job_spec_detail::YamlReader;

int64_t integer(const YamlReader& yaml, const YAML::Node& node, const std::string& key, int64_t low,
                int64_t high) {
  const std::string text = yaml.number(node, key, "an integer");
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || v < low || v > high)
    yaml.error(key + ": expected an integer from " + std::to_string(low) + " to " +
               std::to_string(high) + ", got " + quote_bytes(text));
  return v;
}

template <typename T>
void set_once(const YamlReader& yaml, std::optional<T>& slot, T value, const std::string& key) {
  if (slot && *slot != value) yaml.error(key + ": differs from the value an earlier file gave");
  slot = std::move(value);
}

// A reference to a registered asset: a string; an inline definition is refused.
std::string reference(const YamlReader& yaml, const YAML::Node& node, const std::string& key,
                      const std::string& register_with) {
  if (node.IsMap())
    yaml.error(key + ": an inline definition is not supported; register it first (" +
               register_with + ") and name it here as azureml:NAME:VERSION");
  const std::string s = yaml.scalar(node, key, "a reference such as azureml:NAME:VERSION");
  if (s.empty()) yaml.error(key + ": expected a reference such as azureml:NAME:VERSION");
  return s;
}

constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

void read_endpoint(const YamlReader& yaml, const YAML::Node& root, EndpointFileSpec& spec) {
  static const std::vector<std::string> keys = {"$schema", "name",      "description",
                                                "tags",    "auth_mode", "traffic"};
  for (const auto& [key, value] : yaml.entries(root, "", &keys)) {
    if (key == "$schema") {
      yaml.scalar(value, key);
    } else if (key == "name") {
      set_once(yaml, spec.name, yaml.scalar(value, key), key);
    } else if (key == "description") {
      set_once(yaml, spec.description, yaml.scalar(value, key), key);
    } else if (key == "tags") {
      for (auto& [k, v] : yaml.string_map(value, key, false)) spec.tags[k] = v;
    } else if (key == "auth_mode") {
      const std::string mode = yaml.scalar(value, key);
      if (mode != "key")
        yaml.error("auth_mode: " + quote_bytes(mode) +
                   " is not supported; Glia endpoints take bearer keys (auth_mode: key) or "
                   "none (glia endpoint create --auth none)");
      set_once(yaml, spec.auth_mode, mode, key);
    } else if (key == "traffic") {  // one deployment takes it all: only 100 is meaningful
      for (const auto& [deployment, share] : yaml.entries(value, "traffic"))
        if (integer(yaml, share, "traffic." + deployment, 0, 100) != 100)
          yaml.error("traffic." + deployment +
                     ": Glia endpoints have one deployment, which takes all the traffic (100)");
    }
  }
}

void read_deployment(const YamlReader& yaml, const YAML::Node& root, EndpointFileSpec& spec) {
  static const std::vector<std::string> keys = {"$schema",
                                                "name",
                                                "endpoint_name",
                                                "description",
                                                "tags",
                                                "model",
                                                "code_configuration",
                                                "environment",
                                                "instance_type",
                                                "instance_count",
                                                "request_settings",
                                                "batching",
                                                "limits",
                                                "port"};
  for (const auto& [key, value] : yaml.entries(root, "", &keys)) {
    if (key == "$schema" || key == "name") {
      yaml.scalar(value, key);  // the deployment's name: an endpoint has one deployment
    } else if (key == "endpoint_name") {
      set_once(yaml, spec.name, yaml.scalar(value, key), key);
    } else if (key == "description") {
      set_once(yaml, spec.description, yaml.scalar(value, key), key);
    } else if (key == "tags") {
      for (auto& [k, v] : yaml.string_map(value, key, false)) spec.tags[k] = v;
    } else if (key == "model") {
      set_once(yaml, spec.model, reference(yaml, value, key, "glia model register"), key);
    } else if (key == "environment") {
      set_once(yaml, spec.environment, reference(yaml, value, key, "glia environment create"), key);
    } else if (key == "code_configuration") {
      static const std::vector<std::string> sub = {"code", "scoring_script"};
      for (const auto& [k, v] : yaml.entries(value, key, &sub)) {
        const std::string s = yaml.scalar(v, key + "." + k);
        if (s.empty()) yaml.error(key + "." + k + ": expected a path");
        if (k == "code")
          spec.code_dir = (yaml.base() / s).lexically_normal();
        else
          set_once(yaml, spec.scoring_script, s, key + "." + k);
      }
    } else if (key == "instance_type") {
      spec.notes.push_back(yaml.file() + ": instance_type " + quote_bytes(yaml.scalar(value, key)) +
                           " names a cloud VM size; Glia runs the endpoint on the agent's machine "
                           "(set its threads with instance_count)");
    } else if (key == "instance_count") {
      set_once(yaml, spec.instances, integer(yaml, value, key, 1, 64), key);
    } else if (key == "port") {
      set_once(yaml, spec.port, integer(yaml, value, key, 0, 65535), key);
    } else if (key == "request_settings") {
      static const std::vector<std::string> sub = {"request_timeout_ms"};
      for (const auto& [k, v] : yaml.entries(value, key, &sub))
        set_once(yaml, spec.request_timeout_ms, integer(yaml, v, key + "." + k, 1, 600000),
                 key + "." + k);
    } else if (key == "batching") {  // Glia's: dynamic batching as TF Serving and Triton set it
      static const std::vector<std::string> sub = {"max_batch_size", "max_queue_delay_us",
                                                   "max_queue"};
      for (const auto& [k, v] : yaml.entries(value, key, &sub)) {
        const int64_t n = integer(yaml, v, key + "." + k, 0, kMaxInt);
        auto& slot = k == "max_batch_size"       ? spec.max_batch_size
                     : k == "max_queue_delay_us" ? spec.max_queue_delay_us
                                                 : spec.max_queue;
        set_once(yaml, slot, n, key + "." + k);
      }
    } else if (key == "limits") {
      static const std::vector<std::string> sub = {"max_body_bytes", "max_rows"};
      for (const auto& [k, v] : yaml.entries(value, key, &sub)) {
        const int64_t n = integer(yaml, v, key + "." + k, 1, std::numeric_limits<int64_t>::max());
        set_once(yaml, k == "max_rows" ? spec.max_rows : spec.max_body_bytes, n, key + "." + k);
      }
    }
  }
}

bool is_deployment(const YAML::Node& root) {
  for (const char* k : {"endpoint_name", "model", "code_configuration", "instance_count"})
    if (root[k]) return true;
  if (const auto schema = root["$schema"]; schema && schema.IsScalar())
    return schema.Scalar().find("Deployment") != std::string::npos;
  return false;
}

}  // namespace

void read_endpoint_file(const std::filesystem::path& file, EndpointFileSpec& spec) {
  const job_spec_detail::JobFileText text = job_spec_detail::read_job_file(file);
  const YamlReader yaml(text.name, text.absolute.parent_path());
  const YAML::Node root = job_spec_detail::load_document(yaml, text.text);
  job_spec_detail::with_yaml_errors(yaml, [&] {
    if (!root.IsMap())
      yaml.error("expected a mapping (an online endpoint or an online deployment)");
    if (is_deployment(root))
      read_deployment(yaml, root, spec);
    else
      read_endpoint(yaml, root, spec);
    return 0;
  });
}

}  // namespace glia::platform

// The endpoint process's config and status files (endpoint_config.hpp), through the store's
// strict JSON codec: each member listed once, written and read back by the same list.
#include "glia/platform/endpoint_config.hpp"

#include "glia/error.hpp"
#include "store/store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

template <>
struct Fields<EndpointProcessConfig> {
  static constexpr const char* name = "EndpointProcessConfig";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(generation);
    GLIA_FIELD(host);
    GLIA_FIELD(port);
    GLIA_FIELD(listen_fd);
    GLIA_FIELD(model_name);
    GLIA_FIELD(model_version);
    GLIA_FIELD(model_dir);
    GLIA_FIELD(scoring);
    GLIA_FIELD(script);
    GLIA_FIELD(code_dir);
    GLIA_FIELD(python);
    GLIA_FIELD(env);
    GLIA_FIELD(instances);
    GLIA_FIELD(threads_per_instance);
    GLIA_FIELD(max_batch_size);
    GLIA_FIELD(max_queue_delay_us);
    GLIA_FIELD(max_queue);
    GLIA_FIELD(max_body_bytes);
    GLIA_FIELD(max_rows);
    GLIA_FIELD(request_timeout_ms);
    GLIA_FIELD(auth_mode);
    GLIA_FIELD(key_sha256);
    GLIA_FIELD(status_file);
    GLIA_FIELD(access_log);
  }
};

template <>
struct Fields<EndpointProcessStatus> {
  static constexpr const char* name = "EndpointProcessStatus";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(pid);
    GLIA_FIELD(state);
    GLIA_FIELD(generation);
    GLIA_FIELD(model_version);
    GLIA_FIELD(port);
    GLIA_FIELD(error);
    GLIA_FIELD(failed_generation);
  }
};

}  // namespace store_json

namespace {

template <typename T>
T parse_file(const std::string& text, const std::string& file, const char* type) {
  store_json::json j = store_json::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(file + ": not valid JSON (expected an endpoint " + type + ")");
  T out;
  try {
    store_json::read_root(j, out, store_json::Fields<T>::name);
  } catch (const Error& e) {
    throw Error(e.kind(), file + ": " + e.what());
  }
  return out;
}

}  // namespace

std::string endpoint_config_json(const EndpointProcessConfig& config) {
  return store_json::write(config).dump(2) + "\n";
}

EndpointProcessConfig parse_endpoint_config(const std::string& text, const std::string& file) {
  return parse_file<EndpointProcessConfig>(text, file, "config");
}

std::string endpoint_status_json(const EndpointProcessStatus& status) {
  return store_json::write(status).dump() + "\n";
}

EndpointProcessStatus parse_endpoint_status(const std::string& text, const std::string& file) {
  return parse_file<EndpointProcessStatus>(text, file, "status");
}

}  // namespace glia::platform

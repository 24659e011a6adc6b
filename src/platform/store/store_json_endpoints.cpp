// The store's endpoint records as JSON (store_json.hpp): the stores keep an endpoint's settings
// in this form, and the remote store protocol sends the records in it.
#include "glia/platform/store_json.hpp"
#include "store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

json write(EndpointState v) {
  return std::string(endpoint_state_name(v));
}
void read(const json& j, EndpointState& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) { return parse_endpoint_state(s); });
}

template <>
struct Fields<EndpointSettings> {
  static constexpr const char* name = "EndpointSettings";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(model_name);
    GLIA_FIELD(model_version);
    GLIA_FIELD(scoring);
    GLIA_FIELD(code_manifest);
    GLIA_FIELD(scoring_script);
    GLIA_FIELD(environment);
    GLIA_FIELD(host);
    GLIA_FIELD(port);
    GLIA_FIELD(instances);
    GLIA_FIELD(auth_mode);
    GLIA_FIELD(max_batch_size);
    GLIA_FIELD(max_queue_delay_us);
    GLIA_FIELD(max_queue);
    GLIA_FIELD(max_body_bytes);
    GLIA_FIELD(max_rows);
    GLIA_FIELD(request_timeout_ms);
    GLIA_FIELD(description);
    GLIA_FIELD(tags);
  }
};

template <>
struct Fields<EndpointStatus> {
  static constexpr const char* name = "EndpointStatus";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(state);
    GLIA_FIELD(reason);
    GLIA_FIELD(port);
    GLIA_FIELD(served_generation);
    GLIA_FIELD(served_model_version);
    GLIA_FIELD(pid);
    GLIA_FIELD(pid_start);
    GLIA_FIELD(restarts);
  }
};

template <>
struct Fields<EndpointRecord> {
  static constexpr const char* name = "EndpointRecord";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(settings);
    GLIA_FIELD(generation);
    GLIA_FIELD(sealed_keys);
    GLIA_FIELD(status);
    GLIA_FIELD(owner_uid);
    GLIA_FIELD(created_by);
    GLIA_FIELD(created_at);
    GLIA_FIELD(updated_at);
  }
};

template <>
struct Fields<EndpointEvent> {
  static constexpr const char* name = "EndpointEvent";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(time);
    GLIA_FIELD(state);
    GLIA_FIELD(reason);
  }
};

}  // namespace store_json

GLIA_STORE_JSON_DEFINE(EndpointState)
GLIA_STORE_JSON_DEFINE(EndpointSettings)
GLIA_STORE_JSON_DEFINE(EndpointStatus)
GLIA_STORE_JSON_DEFINE(EndpointRecord)
GLIA_STORE_JSON_DEFINE(EndpointEvent)

}  // namespace glia::platform

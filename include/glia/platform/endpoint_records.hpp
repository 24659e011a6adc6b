// What the store keeps of the workspace's online endpoints (glia/platform/endpoints.hpp): the
// settings a user chose, the keys (sealed, never in clear), and what the agent that runs the
// endpoint's process observed (state, port, pid, the generation it serves).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace glia::platform {

/// Azure's endpoint provisioning states as Glia reports them.
enum class EndpointState { Creating, Healthy, Unhealthy, Failed, Deleting };

/// "Creating", "Healthy", ... (the names `glia endpoint` prints and the store keeps).
std::string_view endpoint_state_name(EndpointState state);
/// The inverse; glia::Error (InvalidArgument) naming the text and the states there are.
EndpointState parse_endpoint_state(std::string_view name);

/// What a user sets at create and changes by update.
struct EndpointSettings {
  std::string model_name;
  int64_t model_version = 0;
  /// "native": the engine scores the registered Keras model itself. "python": a scoring script
  /// with init()/run(raw_data) (Azure's score.py) in an environment.
  std::string scoring = "native";
  std::string code_manifest;   // python: the code folder's snapshot (a manifest blob)
  std::string scoring_script;  // python: the script's path in that folder ("score.py")
  std::string environment;     // python: "NAME:V" of a registered environment; "": python3
  std::string host = "127.0.0.1";
  int64_t port = 0;  // 0: the agent picks a free port once; EndpointRecord::port keeps it
  int64_t instances = 1;
  std::string auth_mode = "key";  // "key" (bearer keys) or "none"
  // Dynamic batching (as TF Serving and Triton configure it) and request limits.
  int64_t max_batch_size = 32;
  int64_t max_queue_delay_us = 0;
  int64_t max_queue = 1024;  // rows waiting; more is answered 429
  int64_t max_body_bytes = 8 << 20;
  int64_t max_rows = 10000;
  int64_t request_timeout_ms = 60000;
  std::string description;
  std::map<std::string, std::string> tags;
};

/// What the agent observed of the endpoint's process (Store::set_endpoint_status).
struct EndpointStatus {
  EndpointState state = EndpointState::Creating;
  std::string reason;  // why it is Unhealthy/Failed, or "" when Healthy
  int64_t port = 0;
  int64_t served_generation = 0;
  int64_t served_model_version = 0;
  int64_t pid = 0;        // 0: no process
  std::string pid_start;  // the process's start time (tells a reused pid apart)
  int64_t restarts = 0;
};

struct EndpointRecord {
  std::string name;  // the asset name rule
  EndpointSettings settings;
  int64_t generation = 1;   // +1 by every change of settings or keys
  std::string sealed_keys;  // the primary and secondary keys, sealed (secret_box.hpp)
  EndpointStatus status;
  int64_t owner_uid = 0;  // the agent of this Unix user runs the process
  std::string created_by;
  double created_at = 0, updated_at = 0;
};

/// One change of an endpoint's state, in its history.
struct EndpointEvent {
  double time = 0;
  EndpointState state = EndpointState::Creating;
  std::string reason;
};

}  // namespace glia::platform

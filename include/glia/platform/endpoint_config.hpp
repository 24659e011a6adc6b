// The file an endpoint's process is started with (`glia endpoint serve --config FILE`): written
// by the agent that supervises the endpoint (0600: it holds the keys' hashes), read by the
// process at start and again on SIGHUP (a new generation: another model version, keys or
// settings). The process answers in its status file, which the agent reads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glia::platform {

struct EndpointProcessConfig {
  std::string name;
  int64_t generation = 0;
  std::string host = "127.0.0.1";
  int64_t port = 0;
  /// A listening socket on host:port that the agent holds and the process inherits (its
  /// descriptor number), so that the port keeps accepting into its backlog while a crashed
  /// process is replaced; -1: the process binds host:port itself (a config written by hand).
  int64_t listen_fd = -1;
  // The model it serves: the registered version's files, materialized.
  std::string model_name;
  int64_t model_version = 0;
  std::string model_dir;
  // "native", or "python" with the script, its folder, the interpreter and its variables.
  std::string scoring = "native";
  std::string script, code_dir, python;
  std::map<std::string, std::string> env;
  int64_t instances = 1;
  int64_t threads_per_instance = 1;
  int64_t max_batch_size = 32, max_queue_delay_us = 0, max_queue = 1024;
  int64_t max_body_bytes = 8 << 20, max_rows = 10000, request_timeout_ms = 60000;
  /// "key": a request needs `Authorization: Bearer KEY` with a key whose SHA-256 (lower-case
  /// hex) is listed; "none": no check.
  std::string auth_mode = "key";
  std::vector<std::string> key_sha256;
  std::string status_file, access_log;
};

/// JSON text, and back (strict: an unknown key or a value of the wrong type is a glia::Error
/// naming it and the file; a missing one keeps its default).
std::string endpoint_config_json(const EndpointProcessConfig& config);
EndpointProcessConfig parse_endpoint_config(const std::string& text, const std::string& file);

/// What the process writes to its status file (atomically) whenever it changes.
struct EndpointProcessStatus {
  int64_t pid = 0;
  /// "loading" (starting, or loading a new generation beside the one served), "ready",
  /// "failed" (could not start: `error` says why; the process exits).
  std::string state;
  int64_t generation = 0;     // the generation being served (0: none yet)
  int64_t model_version = 0;  // the model version being served
  int64_t port = 0;
  std::string error;              // the last failure (a reload that failed keeps the old one)
  int64_t failed_generation = 0;  // the generation that failed to load, if any
};

std::string endpoint_status_json(const EndpointProcessStatus& status);
EndpointProcessStatus parse_endpoint_status(const std::string& text, const std::string& file);

}  // namespace glia::platform

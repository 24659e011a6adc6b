// What an endpoint process serves and how: the platform-free twin of the config file the agent
// writes (glia::platform::EndpointProcessConfig, converted by `glia endpoint serve`), checked
// before anything is loaded or bound.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glia::serving {

struct ServeOptions {
  std::string name;  // the endpoint's name (logs, /v2 metadata)
  int64_t generation = 0;
  std::string host = "127.0.0.1";
  int64_t port = 0;  // 0: any free port
  std::string model_name;
  int64_t model_version = 0;
  std::string model_dir;  // the registered version's files (a .keras, or model.json + model.h5)
  /// "native": the engine scores the model; "python": a ScriptLoader (raw_scorer.hpp) does.
  std::string scoring = "native";
  std::string script, code_dir, python;  // python scoring: handed to the ScriptLoader as given
  std::map<std::string, std::string> env;
  int64_t instances = 1;                // engine instances, each its own copy of the model
  int64_t threads_per_instance = 1;     // OpenMP threads each instance computes with
  int64_t max_batch_size = 32;          // rows per batch
  int64_t max_queue_delay_us = 500;     // how long a batch waits for more rows after its first
  int64_t max_queue = 1024;             // rows waiting; a request that would pass it gets 429
  int64_t max_body_bytes = 8 << 20;     // larger bodies get 413
  int64_t max_rows = 10000;             // rows per request; more is a 400
  int64_t request_timeout_ms = 60000;   // a request still queued after this gets 503
  std::string auth_mode = "key";        // "key": Authorization: Bearer KEY; "none"
  std::vector<std::string> key_sha256;  // SHA-256 hex digests of the accepted keys
  std::string access_log;               // "" for none
};

/// The largest max_body_bytes accepted (also the routes' hard limit).
inline constexpr int64_t kMaxBodyCeiling = int64_t{1} << 30;

/// glia::Error (InvalidArgument) naming the first field out of its range, and the range.
void check_serve_options(const ServeOptions& options);

/// Whether going from `a` to `b` needs a new model generation loaded (model, scoring, instances
/// or threads changed); otherwise the settings apply to the served one at once.
bool needs_new_model(const ServeOptions& a, const ServeOptions& b);

}  // namespace glia::serving

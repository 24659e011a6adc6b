// Online endpoints (Azure's Model.deploy / `az ml online-endpoint`): a registered model served
// over HTTP by a process that the workspace's agent of the creating user starts, supervises and
// records (endpoint_records.hpp). These functions are what `glia endpoint` and the REST API
// call: they check the input and change the records; the agent acts on them (endpoint_supervisor).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/endpoint_records.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// check_asset_name for "endpoint", and at most 32 characters (it names a folder and a URL).
void check_endpoint_name(const std::string& name);
/// The checks every endpoint's settings pass, at create and after each update (and on a server,
/// for a remote client's record): host, port, instances, batching, limits, auth mode, scoring,
/// and for python a scoring script (for native: no script, code or environment). glia::Error
/// (InvalidArgument) naming the endpoint, the setting and the range.
void check_endpoint_settings(const std::string& name, const EndpointSettings& settings);

/// An integer setting of an endpoint and its range, as check_endpoint_settings checks it.
struct EndpointSettingRange {
  const char* name;                    // "instances", as the REST API and the CLI name it
  int64_t EndpointSettings::*setting;  // where it lives
  int64_t min, max;
};
/// Every integer setting with its range (the port apart: 0, or 1024 to 65535), in one table that
/// the checks and the REST API's readers share.
const std::vector<EndpointSettingRange>& endpoint_setting_ranges();

struct EndpointCreate {
  std::string name;
  std::string model;  // a model reference: NAME, NAME:V, NAME@latest (glia:/azureml: prefixes)
  /// model_name/model_version are set from `model`; the rest is checked as given.
  EndpointSettings settings;
  /// python scoring: the folder holding the scoring script (snapshotted into the store).
  std::optional<std::filesystem::path> code_dir;
  std::string created_by;
};

/// Checks everything (the name free, the model version there, settings in range, the script in
/// its folder, the environment registered), generates the keys, and records the endpoint
/// Creating, owned by the calling Unix user. Nothing is recorded when a check fails.
EndpointRecord create_endpoint(Workspace& ws, const EndpointCreate& request);

struct EndpointUpdate {
  std::optional<std::string> model;  // a model reference
  std::optional<int64_t> instances, max_batch_size, max_queue_delay_us, max_queue, max_body_bytes,
      max_rows, request_timeout_ms;
  std::optional<std::string> auth_mode, description;
  std::optional<std::filesystem::path> code_dir;  // python: a new snapshot of the folder
  std::optional<std::string> scoring_script, environment;
};

/// Applies the changes as a new generation (the process loads it beside the one it serves and
/// swaps when ready). Conflict while Deleting; NotFound for an unknown endpoint.
EndpointRecord update_endpoint(Workspace& ws, const std::string& name,
                               const EndpointUpdate& update);

struct EndpointKeys {
  std::string primary, secondary;
};

/// The endpoint's keys, unsealed (Permission when the workspace key cannot be read). A remote
/// workspace is refused (InvalidArgument): its keys can only be opened on its server.
EndpointKeys endpoint_keys(Workspace& ws, const std::string& name);
/// endpoint_keys' core for a record already read (the agent: the digests of the keys go into
/// the endpoint process's config). The same errors.
EndpointKeys open_endpoint_keys(Workspace& ws, const EndpointRecord& endpoint);
/// SHA-256 hex of each key, primary first: EndpointProcessConfig::key_sha256.
std::vector<std::string> endpoint_key_digests(const EndpointKeys& keys);
/// Two new keys sealed with the workspace's key (made on first use): what a new record holds.
/// A local workspace only (a remote one's server seals its endpoints' keys itself).
std::string new_sealed_endpoint_keys(Workspace& ws);
/// A new primary ("primary") or secondary ("secondary") key; the other keeps working
/// throughout. Returns both.
EndpointKeys regenerate_endpoint_key(Workspace& ws, const std::string& name,
                                     const std::string& which);

/// The endpoint, NotFound naming it when there is none.
EndpointRecord get_endpoint(Workspace& ws, const std::string& name);

/// Marks it Deleting: its agent stops the process and removes the record.
void delete_endpoint(Workspace& ws, const std::string& name);

/// "http://HOST:PORT/score" (empty while no port is known yet).
std::string endpoint_scoring_uri(const EndpointRecord& endpoint);

/// Where the endpoint's files live: .glia/endpoints/<name>/ (config, status, logs).
struct EndpointDir {
  std::filesystem::path root;
  std::filesystem::path config() const { return root / "config.json"; }
  std::filesystem::path status() const { return root / "status.json"; }
  std::filesystem::path log() const { return root / "endpoint.log"; }
  std::filesystem::path access_log() const { return root / "access.log"; }
  std::filesystem::path code() const { return root / "code"; }
};
EndpointDir endpoint_dir(const std::filesystem::path& workspace_root, const std::string& name);

}  // namespace glia::platform

// Creating, changing, reading and deleting online endpoints (endpoints.hpp): every input checked
// before anything is recorded, the model reference and the environment resolved to versions, a
// python scoring folder snapshotted into the artifact store, a native model checked to load.
#include <arpa/inet.h>
#include <unistd.h>

#include <functional>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/assets.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/safe_path.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxNameChars = 32;

std::string what_of(const std::string& name) {
  return "endpoint " + quote_bytes(name);
}

void check_range(const std::string& what, const char* field, int64_t value, int64_t lo,
                 int64_t hi) {
  if (value < lo || value > hi)
    throw Error(what + ": " + field + " " + std::to_string(value) + " is out of range (expected " +
                std::to_string(lo) + " to " + std::to_string(hi) + ")");
}

void check_one_of(const std::string& what, const char* field, const std::string& value,
                  std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : " or ") + std::string(a);
  }
  throw Error(what + ": " + field + " " + quote_bytes(value) + " is not valid (expected " + list +
              ")");
}

void check_host(const std::string& what, const std::string& host) {
  unsigned char buf[16];
  if (host == "localhost" || inet_pton(AF_INET, host.c_str(), buf) == 1 ||
      inet_pton(AF_INET6, host.c_str(), buf) == 1)
    return;
  throw Error(what + ": host " + quote_bytes(host) +
              " is not valid (expected an IPv4 or IPv6 address, or localhost)");
}

void check_settings(const std::string& what, const EndpointSettings& s) {
  check_host(what, s.host);
  if (s.port != 0) check_range(what, "port", s.port, 1024, 65535);
  for (const EndpointSettingRange& r : endpoint_setting_ranges())
    check_range(what, r.name, s.*r.setting, r.min, r.max);
  if (s.max_queue < s.max_batch_size)
    throw Error(what + ": max_queue " + std::to_string(s.max_queue) +
                " is less than max_batch_size " + std::to_string(s.max_batch_size) +
                " (a full batch must fit in the queue)");
  check_one_of(what, "auth_mode", s.auth_mode, {"key", "none"});
  check_one_of(what, "scoring", s.scoring, {"native", "python"});
  if (s.scoring == "python") {
    if (s.scoring_script.empty())
      throw Error(what + ": python scoring needs a scoring script (its path in the code folder)");
  } else {
    if (!s.scoring_script.empty() || !s.environment.empty() || !s.code_manifest.empty())
      throw Error(what +
                  ": a scoring script, code folder and environment are for python scoring; "
                  "native scoring serves the registered model itself");
  }
}

// A port given (not 0) must not be one another endpoint of the workspace listens on or keeps
// (whatever its host: "localhost", an address and the wildcard overlap): its process could
// never bind it.
void check_port_free(Workspace& ws, const std::string& what, int64_t port) {
  if (port == 0) return;
  for (const EndpointRecord& other : ws.store().list_endpoints())
    if (other.settings.port == port || other.status.port == port)
      throw Error(ErrorKind::Conflict, what + ": port " + std::to_string(port) +
                                           " is used by endpoint " + quote_bytes(other.name) +
                                           " (give another port, or 0 for a free one)");
}

ModelVersion resolve_model_ref(Workspace& ws, const std::string& what, const std::string& ref) {
  if (ref.empty()) throw Error(what + " needs a model (NAME, NAME:V or NAME@latest)");
  return resolve_model(ws.store(), parse_model_ref(ref));
}

// Native scoring: the model's files must hold a Keras model the engine loads (with weights).
void verify_native_model(Workspace& ws, const std::string& what, const ModelVersion& m) {
  try {
    verify_model_files(materialize_model(ws, m));
  } catch (const Error& e) {
    throw Error(e.kind(), what + ": model '" + m.name + ":" + std::to_string(m.version) +
                              "' cannot be served natively: " + e.what());
  }
}

// "NAME[:V|@latest]" → "NAME:V" of the registered version ("" stays "": python3).
std::string resolve_environment_text(Workspace& ws, const std::string& text) {
  if (text.empty()) return "";
  const EnvironmentVersion v = resolve_environment(ws.store(), parse_environment_ref(text));
  return v.name + ":" + std::to_string(v.version);
}

std::string checked_script(const std::string& what, const std::string& script) {
  if (script.empty())
    throw Error(what + ": python scoring needs a scoring script (its path in the code folder)");
  return safe_relative_path(script, what + ": scoring script");
}

// The code folder's snapshot (as a job's code is snapshotted), holding `script`.
std::string snapshot_code(Workspace& ws, const std::string& what, const fs::path& dir,
                          const std::string& script) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::NotFound,
                what + ": code folder " + quote_bytes(dir.string()) + " is not a folder");
  if (!fs::is_regular_file(dir / script, ec))
    throw Error(ErrorKind::NotFound, what + ": scoring script " + quote_bytes(script) +
                                         " is not a file in code folder " +
                                         quote_bytes(dir.string()));
  return ws.artifacts().snapshot(dir);
}

// The snapshot must hold the script (an ignore file may have left it out).
void require_script_in(Workspace& ws, const std::string& what, const std::string& manifest,
                       const std::string& script) {
  for (const auto& e : ws.artifacts().manifest(manifest))
    if (e.path == script) return;
  throw Error(what + ": scoring script " + quote_bytes(script) +
              " is not in the code folder's snapshot (is it excluded by .gliaignore, "
              ".amlignore or .gitignore?)");
}

}  // namespace

const std::vector<EndpointSettingRange>& endpoint_setting_ranges() {
  using S = EndpointSettings;
  static const std::vector<EndpointSettingRange> ranges = {
      {"instances", &S::instances, 1, 64},
      {"max_batch_size", &S::max_batch_size, 1, 4096},
      {"max_queue_delay_us", &S::max_queue_delay_us, 0, 1000000},
      {"max_queue", &S::max_queue, 1, INT64_MAX},  // and at least max_batch_size
      {"max_body_bytes", &S::max_body_bytes, int64_t{1} << 10, int64_t{1} << 30},
      {"max_rows", &S::max_rows, 1, INT64_MAX},
      {"request_timeout_ms", &S::request_timeout_ms, 1, 600000}};
  return ranges;
}

void check_endpoint_settings(const std::string& name, const EndpointSettings& settings) {
  check_settings(what_of(name), settings);
}

void check_endpoint_name(const std::string& name) {
  check_asset_name(name, "endpoint");
  if (name.size() > kMaxNameChars)
    throw Error("endpoint name " + quote_bytes(name) + " is " + std::to_string(name.size()) +
                " characters long; at most " + std::to_string(kMaxNameChars) +
                " are allowed (it names a folder and a URL)");
}

EndpointRecord create_endpoint(Workspace& ws, const EndpointCreate& request) {
  check_endpoint_name(request.name);
  const std::string what = what_of(request.name);
  if (ws.store().find_endpoint(request.name))
    throw Error(ErrorKind::Conflict, what + " already exists");
  EndpointSettings s = request.settings;
  const ModelVersion model = resolve_model_ref(ws, what, request.model);
  s.model_name = model.name;
  s.model_version = model.version;
  if (s.scoring == "python") {
    s.scoring_script = checked_script(what, s.scoring_script);
    s.code_manifest.clear();  // made here from the folder, never taken as given
  }
  check_settings(what, s);
  check_port_free(ws, what, s.port);
  if (s.scoring == "python") {
    if (!request.code_dir)
      throw Error(what + ": python scoring needs a code folder holding " +
                  quote_bytes(s.scoring_script));
    s.environment = resolve_environment_text(ws, s.environment);
    s.code_manifest = snapshot_code(ws, what, *request.code_dir, s.scoring_script);
    require_script_in(ws, what, s.code_manifest, s.scoring_script);
  } else {
    if (request.code_dir)
      throw Error(what +
                  ": a code folder is for python scoring; native scoring serves the "
                  "registered model itself");
    verify_native_model(ws, what, model);
  }
  EndpointRecord e;
  e.name = request.name;
  e.settings = s;
  e.generation = 1;
  // A remote workspace's server makes and seals the keys with its own key (store_routes.cpp).
  if (!ws.is_remote()) e.sealed_keys = new_sealed_endpoint_keys(ws);
  e.owner_uid = static_cast<int64_t>(::geteuid());
  e.created_by = request.created_by;
  return ws.store().create_endpoint(e);
}

EndpointRecord update_endpoint(Workspace& ws, const std::string& name, const EndpointUpdate& u) {
  const std::string what = what_of(name);
  if (!u.model && !u.instances && !u.max_batch_size && !u.max_queue_delay_us && !u.max_queue &&
      !u.max_body_bytes && !u.max_rows && !u.request_timeout_ms && !u.auth_mode && !u.description &&
      !u.code_dir && !u.scoring_script && !u.environment)
    throw Error(what + ": nothing to update (give a model, a setting, or new code)");
  EndpointRecord e = get_endpoint(ws, name);
  // What does not depend on the record's current settings is resolved once.
  std::optional<ModelVersion> model;
  if (u.model) model = resolve_model_ref(ws, what, *u.model);
  std::optional<std::string> environment;
  if (u.environment) environment = resolve_environment_text(ws, *u.environment);
  std::optional<std::string> script;
  if (u.scoring_script) script = checked_script(what, *u.scoring_script);
  std::optional<std::string> code_manifest;
  std::string verified;  // the model version last checked to load natively
  for (;;) {
    if (e.status.state == EndpointState::Deleting)
      throw Error(ErrorKind::Conflict, what + " is being deleted");
    EndpointSettings s = e.settings;
    if (model) {
      s.model_name = model->name;
      s.model_version = model->version;
    }
    if (u.instances) s.instances = *u.instances;
    if (u.max_batch_size) s.max_batch_size = *u.max_batch_size;
    if (u.max_queue_delay_us) s.max_queue_delay_us = *u.max_queue_delay_us;
    if (u.max_queue) s.max_queue = *u.max_queue;
    if (u.max_body_bytes) s.max_body_bytes = *u.max_body_bytes;
    if (u.max_rows) s.max_rows = *u.max_rows;
    if (u.request_timeout_ms) s.request_timeout_ms = *u.request_timeout_ms;
    if (u.auth_mode) s.auth_mode = *u.auth_mode;
    if (u.description) s.description = *u.description;
    if (s.scoring != "python" && (u.code_dir || u.scoring_script || u.environment))
      throw Error(what +
                  ": a scoring script, code folder and environment are for python "
                  "scoring; this endpoint scores natively");
    if (script) s.scoring_script = *script;
    if (environment) s.environment = *environment;
    check_settings(what, s);
    if (s.scoring == "python") {
      if (u.code_dir && !code_manifest)
        code_manifest = snapshot_code(ws, what, *u.code_dir, s.scoring_script);
      if (code_manifest) s.code_manifest = *code_manifest;
      if (u.code_dir || u.scoring_script)
        require_script_in(ws, what, s.code_manifest, s.scoring_script);
    } else if (model) {
      const std::string ref = model->name + ":" + std::to_string(model->version);
      if (verified != ref) verify_native_model(ws, what, *model);
      verified = ref;
    }
    if (ws.store().update_endpoint_settings(name, e.generation, s, e.sealed_keys))
      return get_endpoint(ws, name);
    e = get_endpoint(ws, name);  // changed meanwhile: apply the update to what is there now
  }
}

EndpointRecord get_endpoint(Workspace& ws, const std::string& name) {
  auto e = ws.store().find_endpoint(name);
  if (!e) throw Error(ErrorKind::NotFound, "unknown " + what_of(name));
  return *e;
}

void delete_endpoint(Workspace& ws, const std::string& name) {
  get_endpoint(ws, name);  // NotFound naming it
  ws.store().request_endpoint_delete(name);
}

std::string endpoint_scoring_uri(const EndpointRecord& endpoint) {
  const int64_t port = endpoint.status.port != 0 ? endpoint.status.port : endpoint.settings.port;
  if (port == 0) return "";
  std::string host = endpoint.settings.host;
  if (host == "0.0.0.0" || host == "::") {  // every interface: this machine's name
    char name[256] = {};
    host = ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
  }
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/score";
}

EndpointDir endpoint_dir(const fs::path& workspace_root, const std::string& name) {
  return {workspace_root / ".glia" / "endpoints" / safe_path_component(name, "endpoint name")};
}

}  // namespace glia::platform

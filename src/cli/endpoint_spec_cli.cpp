// Endpoint options and YAML files into platform requests (endpoint_spec_cli.hpp).
#include "cli/endpoint_spec_cli.hpp"

#include <unistd.h>

#include <cstdio>

#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/endpoint_spec.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::cli {

namespace {

platform::EndpointFileSpec read_files(const EndpointSpecArgs& a) {
  platform::EndpointFileSpec f;
  for (const std::string& file : a.files) platform::read_endpoint_file(file, f);
  for (const std::string& note : f.notes) std::fprintf(stderr, "glia: note: %s\n", note.c_str());
  return f;
}

template <typename T>
std::optional<T> pick(const std::optional<T>& flag, const std::optional<T>& file) {
  return flag ? flag : file;
}

std::map<std::string, std::string> tags_of(const std::vector<std::string>& given) {
  return key_value_options(given, "--tag");
}

// A Python scoring environment is built before the endpoint is recorded, with its output
// shown: the agent only starts processes, and a pip failure belongs to this command.
void build_if_needed(platform::Workspace& ws, const std::string& reference) {
  if (ws.is_remote()) return;  // built on the server by its agent's side
  const auto v =
      platform::resolve_environment(ws.store(), platform::parse_environment_ref(reference));
  if (platform::built_environment(ws, v.build_hash)) return;
  platform::BuildOptions o;
  o.output = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::fprintf(stderr, "glia: building environment %s:%lld\n", v.name.c_str(),
               static_cast<long long>(v.version));
  platform::build_environment(ws, v, o);
}

}  // namespace

void add_endpoint_spec_options(CLI::App* c, EndpointSpecArgs& a, bool create) {
  c->add_option("-f,--file", a.files,
                "Azure CLI v2 online endpoint and/or deployment YAML (repeatable; flags win)")
      ->check(CLI::ExistingFile);
  if (create) {
    c->add_option("--name", a.name, "endpoint name (letters, digits, '-', '_'; at most 32)");
    c->add_option("--host", a.host, "address to listen on (default 127.0.0.1)");
    c->add_option("--port", a.port, "port to listen on (default: a free one, kept)")
        ->check(CLI::Range(0, 65535));
  }
  c->add_option("--model", a.model, "registered model: NAME, NAME:VERSION or NAME@latest");
  c->add_option("--instances", a.instances, "engine instances (or Python workers) serving it")
      ->check(CLI::Range(1, 64));
  c->add_option("--auth", a.auth, "key: bearer keys (default); none: open")
      ->check(CLI::IsMember({"key", "none"}));
  c->add_option("--max-batch-size", a.max_batch_size, "dynamic batching: rows per model call");
  c->add_option("--max-queue-delay-us", a.max_queue_delay_us,
                "dynamic batching: microseconds a row waits for others");
  c->add_option("--max-queue", a.max_queue, "rows waiting at most; more are answered 429");
  c->add_option("--max-body-bytes", a.max_body_bytes, "larger request bodies are answered 413");
  c->add_option("--max-rows", a.max_rows, "rows a request may hold");
  c->add_option("--request-timeout-ms", a.request_timeout_ms, "a request's time limit");
  c->add_option("--scoring-script", a.scoring_script,
                "score Python-side with this init()/run(raw_data) script (path in --code)");
  c->add_option("--code", a.code, "the scoring script's folder (default: the current one)");
  c->add_option("--environment", a.environment,
                "registered environment the script runs in (NAME:VERSION or NAME@latest)");
  c->add_option("--description", a.description, "what the endpoint is for");
  c->add_option("--tag", a.tags, "KEY=VALUE (repeatable)");
}

platform::EndpointCreate endpoint_create_request(platform::Workspace& ws,
                                                 const EndpointSpecArgs& a) {
  const platform::EndpointFileSpec f = read_files(a);
  platform::EndpointCreate r;
  const auto name = pick(a.name, f.name);
  if (!name) throw Error("--name: required (or name: in an endpoint file)");
  r.name = *name;
  const auto model = pick(a.model, f.model);
  if (!model) throw Error("--model: required (or model: in a deployment file)");
  r.model = *model;
  auto& s = r.settings;
  if (auto v = a.host) s.host = *v;
  if (auto v = pick(a.port, f.port)) s.port = *v;
  if (auto v = pick(a.instances, f.instances)) s.instances = *v;
  if (auto v = pick(a.auth, f.auth_mode)) s.auth_mode = *v;
  if (auto v = pick(a.max_batch_size, f.max_batch_size)) s.max_batch_size = *v;
  if (auto v = pick(a.max_queue_delay_us, f.max_queue_delay_us)) s.max_queue_delay_us = *v;
  if (auto v = pick(a.max_queue, f.max_queue)) s.max_queue = *v;
  if (auto v = pick(a.max_body_bytes, f.max_body_bytes)) s.max_body_bytes = *v;
  if (auto v = pick(a.max_rows, f.max_rows)) s.max_rows = *v;
  if (auto v = pick(a.request_timeout_ms, f.request_timeout_ms)) s.request_timeout_ms = *v;
  if (auto v = pick(a.description, f.description)) s.description = *v;
  s.tags = f.tags;
  for (auto& [k, v] : tags_of(a.tags)) s.tags[k] = v;
  const auto script = pick(a.scoring_script, f.scoring_script);
  const std::optional<std::filesystem::path> code =
      a.code ? std::optional<std::filesystem::path>(normalized_path(*a.code)) : f.code_dir;
  const auto env = pick(a.environment, f.environment);
  if (script) {
    s.scoring = "python";
    s.scoring_script = *script;
    r.code_dir = code ? *code : std::filesystem::current_path();
    if (env) {
      build_if_needed(ws, *env);
      s.environment = *env;
    }
  } else if (code || env) {
    throw Error(std::string(code ? "--code" : "--environment") +
                ": only for a Python scoring script (--scoring-script); the engine scores a "
                "registered Keras model without one");
  }
  return r;
}

platform::EndpointUpdate endpoint_update_request(platform::Workspace& ws, const std::string& name,
                                                 const EndpointSpecArgs& a) {
  const platform::EndpointFileSpec f = read_files(a);
  if (f.name && *f.name != name)
    throw Error("the file names endpoint " + quote_bytes(*f.name) + ", not " + quote_bytes(name));
  platform::EndpointUpdate u;
  u.model = pick(a.model, f.model);
  u.instances = pick(a.instances, f.instances);
  u.auth_mode = pick(a.auth, f.auth_mode);
  u.max_batch_size = pick(a.max_batch_size, f.max_batch_size);
  u.max_queue_delay_us = pick(a.max_queue_delay_us, f.max_queue_delay_us);
  u.max_queue = pick(a.max_queue, f.max_queue);
  u.max_body_bytes = pick(a.max_body_bytes, f.max_body_bytes);
  u.max_rows = pick(a.max_rows, f.max_rows);
  u.request_timeout_ms = pick(a.request_timeout_ms, f.request_timeout_ms);
  u.description = pick(a.description, f.description);
  u.scoring_script = pick(a.scoring_script, f.scoring_script);
  if (a.code)
    u.code_dir = normalized_path(*a.code);
  else if (f.code_dir)
    u.code_dir = f.code_dir;
  u.environment = pick(a.environment, f.environment);
  if (u.environment) build_if_needed(ws, *u.environment);
  if (!a.tags.empty() || !f.tags.empty())
    throw Error("--tag: tags are set at creation (glia endpoint create --tag)");
  if (f.port) throw Error("port: fixed at creation; create another endpoint to move it");
  return u;
}

void keep_endpoints_served(platform::Workspace& ws) {
  if (ws.is_remote() || platform::agent_running(ws.root())) return;
  const int64_t uid = ::geteuid();
  for (const auto& e : ws.store().list_endpoints())
    if (e.owner_uid == uid) return ensure_agent(ws);  // e.g. after a reboot: served again
}

}  // namespace glia::cli

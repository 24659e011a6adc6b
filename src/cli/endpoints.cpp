// glia endpoint create / list / show / logs / keys / invoke / update / delete (and serve, the
// endpoint's own process: endpoint_serve.cpp): online endpoints over the platform's records,
// which the workspace's agent acts on.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/endpoint_serve.hpp"
#include "cli/endpoint_spec_cli.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/http/client.hpp"
#include "glia/platform/endpoint_logs.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/json_views.hpp"

namespace glia::cli {

namespace {

using platform::EndpointRecord;
using platform::EndpointState;

// The scoring URI as this machine reaches it: for a connected folder whose server's endpoint
// listens on every interface, the server's host (the record's view names the machine that
// computes it).
std::string scoring_uri(const platform::Workspace& ws, const EndpointRecord& e) {
  std::string uri = platform::endpoint_scoring_uri(e);
  const std::string& h = e.settings.host;
  if (!ws.is_remote() || uri.empty() || (h != "0.0.0.0" && h != "::")) return uri;
  const std::string& server = ws.remote().url;  // http(s)://HOST[:PORT][/...]
  const auto start = server.find("://") + 3;
  auto end = server.find_first_of(":/", server[start] == '[' ? server.find(']', start) : start);
  if (end == std::string::npos) end = server.size();
  const auto port_at = uri.rfind(':');
  return "http://" + server.substr(start, end - start) + uri.substr(port_at);
}

nlohmann::json record_json(const platform::Workspace& ws, const EndpointRecord& e) {
  nlohmann::json j = platform::endpoint_json(e);
  j["scoring_uri"] = scoring_uri(ws, e);
  return j;
}

std::string state_text(const EndpointRecord& e) {
  std::string s(platform::endpoint_state_name(e.status.state));
  if (!e.status.reason.empty()) s += " (" + e.status.reason + ")";
  return s;
}

// Waits until the agent serves the record's generation (Healthy with it), the endpoint failed,
// or `timeout_s` passed; the states it goes through on stderr. Returns the record seen last.
EndpointRecord wait_served(platform::Workspace& ws, const std::string& name, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string shown;
  for (;;) {
    EndpointRecord e = platform::get_endpoint(ws, name);
    const std::string now = state_text(e);
    if (now != shown) {
      std::fprintf(stderr, "glia: %s: %s\n", name.c_str(), now.c_str());
      shown = now;
    }
    const bool served =
        e.status.state == EndpointState::Healthy && e.status.served_generation == e.generation;
    const bool update_failed = e.status.state == EndpointState::Healthy &&
                               e.status.served_generation < e.generation &&
                               !e.status.reason.empty();
    if (served) return e;
    if (e.status.state == EndpointState::Failed || update_failed)
      throw Error(ErrorKind::Unavailable, name + ": " + now);
    if (std::chrono::steady_clock::now() > until)
      throw Error(ErrorKind::Unavailable, name + ": not ready after " +
                                              std::to_string(static_cast<int>(timeout_s)) + " s (" +
                                              now + "); see glia endpoint logs " + name);
    keep_endpoints_served(ws);
    std::this_thread::sleep_for(poll_interval(ws, std::chrono::milliseconds(50)));
  }
}

void print_record(const platform::Workspace& ws, const EndpointRecord& e,
                  const std::string& output) {
  if (output == "json") return print_json(record_json(ws, e));
  std::printf("%s: %s, %s:%lld, %s\n", e.name.c_str(), state_text(e).c_str(),
              e.settings.model_name.c_str(), static_cast<long long>(e.settings.model_version),
              scoring_uri(ws, e).c_str());
}

struct WaitArgs {
  bool no_wait = false;
  double timeout_s = 300;
};

void add_wait_options(CLI::App* c, WaitArgs& w) {
  c->add_flag("--no-wait", w.no_wait, "return once recorded; the agent goes on meanwhile");
  c->add_option("--timeout", w.timeout_s, "seconds to wait for the endpoint to serve")
      ->capture_default_str()
      ->check(glia::cli::positive_number());
}

void add_create(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    EndpointSpecArgs spec;
    WaitArgs wait;
    std::string output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand(
      "create",
      "Deploy a registered model as an online endpoint (served by the workspace's agent)");
  add_endpoint_spec_options(c, a->spec, /*create=*/true);
  add_wait_options(c, a->wait);
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    platform::EndpointCreate request = endpoint_create_request(ws, a->spec);
    request.created_by = current_user();
    EndpointRecord e = platform::create_endpoint(ws, request);
    ensure_agent(ws);
    if (!a->wait.no_wait) e = wait_served(ws, e.name, a->wait.timeout_s);
    print_record(ws, e, a->output);
  });
}

void add_update(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name;
    EndpointSpecArgs spec;
    WaitArgs wait;
    std::string output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand(
      "update",
      "Change an endpoint's model version or settings without downtime (the new generation "
      "is loaded beside the one served, then swapped in)");
  c->add_option("name", a->name, "the endpoint")->required();
  add_endpoint_spec_options(c, a->spec, /*create=*/false);
  add_wait_options(c, a->wait);
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    EndpointRecord e =
        platform::update_endpoint(ws, a->name, endpoint_update_request(ws, a->name, a->spec));
    ensure_agent(ws);
    if (!a->wait.no_wait) e = wait_served(ws, e.name, a->wait.timeout_s);
    print_record(ws, e, a->output);
  });
}

void add_list(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  auto output = std::make_shared<std::string>("text");
  auto* c = cmd.add_subcommand("list", "List the workspace's endpoints");
  c->add_option("-o,--output", *output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([output, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const auto all = ws.store().list_endpoints();
    keep_endpoints_served(ws);
    if (*output == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : all) j.push_back(record_json(ws, e));
      return print_json(j);
    }
    std::printf("%-24s %-10s %-28s %-5s %-8s %s\n", "NAME", "STATE", "MODEL", "AUTH", "RESTARTS",
                "SCORING URI");
    for (const auto& e : all)
      std::printf("%-24s %-10s %-28s %-5s %-8lld %s\n", e.name.c_str(),
                  std::string(platform::endpoint_state_name(e.status.state)).c_str(),
                  (e.settings.model_name + ":" + std::to_string(e.settings.model_version)).c_str(),
                  e.settings.auth_mode.c_str(), static_cast<long long>(e.status.restarts),
                  scoring_uri(ws, e).c_str());
  });
}

void add_show(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("show", "An endpoint's settings, state and state history");
  c->add_option("name", a->name, "the endpoint")->required();
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const EndpointRecord e = platform::get_endpoint(ws, a->name);
    keep_endpoints_served(ws);
    const auto events = ws.store().endpoint_events(a->name);
    if (a->output == "json") {
      nlohmann::json j = platform::endpoint_show_json(ws, e);
      j["scoring_uri"] = scoring_uri(ws, e);
      return print_json(j);
    }
    const auto& s = e.settings;
    std::printf("Endpoint:     %s\n", e.name.c_str());
    std::printf("State:        %s\n", state_text(e).c_str());
    std::printf("Scoring URI:  %s\n", scoring_uri(ws, e).c_str());
    std::printf("Model:        %s:%lld (serving version %lld, generation %lld of %lld)\n",
                s.model_name.c_str(), static_cast<long long>(s.model_version),
                static_cast<long long>(e.status.served_model_version),
                static_cast<long long>(e.status.served_generation),
                static_cast<long long>(e.generation));
    std::printf("Scoring:      %s%s\n", s.scoring.c_str(),
                s.scoring == "python"
                    ? (" (" + s.scoring_script +
                       (s.environment.empty() ? "" : ", environment " + s.environment) + ")")
                          .c_str()
                    : "");
    std::printf("Auth:         %s\n", s.auth_mode.c_str());
    std::printf("Instances:    %lld\n", static_cast<long long>(s.instances));
    std::printf("Batching:     up to %lld rows, %lld us delay, %lld rows queued\n",
                static_cast<long long>(s.max_batch_size),
                static_cast<long long>(s.max_queue_delay_us), static_cast<long long>(s.max_queue));
    std::printf("Limits:       %s a body, %lld rows, %lld ms a request\n",
                mb(s.max_body_bytes).c_str(), static_cast<long long>(s.max_rows),
                static_cast<long long>(s.request_timeout_ms));
    std::printf("Process:      %s, %lld restarts\n",
                e.status.pid ? ("pid " + std::to_string(e.status.pid)).c_str() : "none",
                static_cast<long long>(e.status.restarts));
    std::printf("Created:      %s by %s\n", iso_time(e.created_at).c_str(), e.created_by.c_str());
    std::printf("History:\n");
    for (const auto& ev : events)
      std::printf("  %s  %-10s %s\n", iso_time(ev.time).c_str(),
                  std::string(platform::endpoint_state_name(ev.state)).c_str(), ev.reason.c_str());
  });
}

void add_keys(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, regenerate, output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("keys", "An endpoint's two bearer keys (Azure's get_keys)");
  c->add_option("name", a->name, "the endpoint")->required();
  c->add_option("--regenerate", a->regenerate,
                "replace this key; the other keeps working throughout")
      ->check(CLI::IsMember({"primary", "secondary"}));
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const platform::EndpointKeys keys =
        a->regenerate.empty() ? platform::endpoint_keys(ws, a->name)
                              : platform::regenerate_endpoint_key(ws, a->name, a->regenerate);
    if (!a->regenerate.empty()) {
      ensure_agent(ws);
      wait_served(ws, a->name, 60);  // the process checks the new key before we say so
    }
    if (a->output == "json")
      return print_json({{"primaryKey", keys.primary}, {"secondaryKey", keys.secondary}});
    std::printf("primary:   %s\nsecondary: %s\n", keys.primary.c_str(), keys.secondary.c_str());
  });
}

void add_invoke(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, request_file, path = "/score";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("invoke", "Send a scoring request to an endpoint (with its key)");
  c->add_option("name", a->name, "the endpoint")->required();
  c->add_option("--request-file", a->request_file,
                "the JSON body, e.g. {\"data\": [[...784 values...]]}")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--path", a->path, "the route: /score, /invocations or /v2/models/NAME/infer")
      ->capture_default_str();
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const EndpointRecord e = platform::get_endpoint(ws, a->name);
    if (e.status.port == 0)
      throw Error(ErrorKind::Unavailable, a->name + " has no process yet (" + state_text(e) + ")");
    if (a->path.empty() || a->path[0] != '/')
      throw Error("--path " + quote_bytes(a->path) + ": expected a route starting with '/'");
    std::ifstream in(a->request_file, std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    if (!in) throw os_error("reading " + a->request_file, errno);
    http::ClientOptions o;
    const std::string uri = scoring_uri(ws, e);
    o.url = uri.substr(0, uri.size() - std::string_view("/score").size());
    if (e.settings.auth_mode == "key") o.token = platform::endpoint_keys(ws, a->name).primary;
    o.timeout_s = static_cast<double>(e.settings.request_timeout_ms) / 1000 + 5;
    http::Client client(o);
    const http::ClientResponse r =
        client.request("POST", a->path, body.str(), "application/json", /*idempotent=*/true);
    if (r.status >= 400) throw http::error_of_response(r.status, r.body, a->name + a->path);
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    if (r.body.empty() || r.body.back() != '\n') std::fputc('\n', stdout);
  });
}

void add_logs(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name;
    int64_t tail = 100;
    bool follow = false, access = false;
    std::string output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("logs", "An endpoint's process log (Azure's get_logs)");
  c->add_option("name", a->name, "the endpoint")->required();
  c->add_option("--tail", a->tail, "the last N lines (0: all)")->capture_default_str();
  c->add_flag("-f,--follow", a->follow, "keep printing what is written (Ctrl-C to stop)");
  c->add_flag("--access", a->access, "the access log (one line per request) instead");
  c->add_option("-o,--output", a->output, "output format (json: the lines as a list)")
      ->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    if (a->tail < 0)  // regression: a negative N printed the whole log
      throw Error("--tail: expected a number of lines, 0 (all) or more; got " +
                  std::to_string(a->tail));
    auto ws = open_workspace(*workspace_dir);
    if (a->follow && a->output == "json")
      throw Error("--follow: prints the log as it grows; it takes no -o json");
    if (!a->follow) {
      const std::string text = platform::endpoint_log_tail(ws, a->name, a->tail, a->access);
      if (a->output == "json") {
        nlohmann::json lines = nlohmann::json::array();
        size_t from = 0;
        while (from < text.size()) {
          const size_t nl = text.find('\n', from);
          lines.push_back(
              text.substr(from, nl == std::string::npos ? std::string::npos : nl - from));
          from = nl == std::string::npos ? text.size() : nl + 1;
        }
        return print_json(
            {{"endpoint", a->name}, {"log", a->access ? "access" : "process"}, {"lines", lines}});
      }
      std::fwrite(text.data(), 1, text.size(), stdout);
      return;
    }
    platform::get_endpoint(ws, a->name);  // NotFound for an unknown one
    const auto dir = platform::endpoint_dir(ws.root(), a->name);
    std::ifstream in(a->access ? dir.access_log() : dir.log(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t from = platform::last_lines_offset(text, a->tail);;
         from = 0) {  // what is there, then what comes, until Ctrl-C
      std::fwrite(text.data() + from, 1, text.size() - from, stdout);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      in.clear();
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  });
}

void add_delete(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, output = "text";
    WaitArgs wait;
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("delete", "Stop an endpoint's process and remove the endpoint");
  c->add_option("name", a->name, "the endpoint")->required();
  add_wait_options(c, a->wait);
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    platform::delete_endpoint(ws, a->name);
    ensure_agent(ws);
    const auto said = [&a](bool deleted) {
      if (a->output == "json")
        return print_json({{"name", a->name}, {"state", deleted ? "Deleted" : "Deleting"}});
      std::printf("%s %s\n", deleted ? "Deleted" : "Deleting", a->name.c_str());
    };
    if (a->wait.no_wait) return said(false);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(a->wait.timeout_s);
    while (ws.store().find_endpoint(a->name)) {
      if (std::chrono::steady_clock::now() > until)
        throw Error(ErrorKind::Unavailable,
                    a->name + ": still Deleting after " +
                        std::to_string(static_cast<int>(a->wait.timeout_s)) + " s");
      keep_endpoints_served(ws);
      std::this_thread::sleep_for(poll_interval(ws, std::chrono::milliseconds(50)));
    }
    said(true);
  });
}

}  // namespace

void register_endpoints(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand(
      "endpoint", "Online endpoints: a registered model served over HTTP (the seed's web service)");
  cmd->require_subcommand(1);
  add_create(*cmd, workspace_dir);
  add_list(*cmd, workspace_dir);
  add_show(*cmd, workspace_dir);
  add_logs(*cmd, workspace_dir);
  add_keys(*cmd, workspace_dir);
  add_invoke(*cmd, workspace_dir);
  add_update(*cmd, workspace_dir);
  add_delete(*cmd, workspace_dir);
  add_endpoint_serve(*cmd);
}

}  // namespace glia::cli

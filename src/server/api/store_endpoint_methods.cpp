// The remote store protocol's methods for online endpoints (docs/endpoints.md): a client creates,
// reads, updates and deletes endpoint records; their keys are made and sealed here and never
// answered, and what the agent alone records (process, status, removal) is not offered.
#include "glia/escape.hpp"
#include "glia/platform/endpoints.hpp"
#include "server/api/store_checks.hpp"
#include "server/api/store_method.hpp"

namespace glia::server::api {

using nlohmann::json;
using platform::Role;

namespace {

// An endpoint as a client sees it: its keys, even sealed, never leave the server.
json endpoint_view(platform::EndpointRecord e) {
  e.sealed_keys.clear();
  return e;
}

}  // namespace

const std::map<std::string, Method>& endpoint_methods() {
  using S = platform::Store;
  using P = platform::Principal;
  static const std::map<std::string, Method> table = {
      {"create_endpoint",
       {Role::Contributor,
        "create endpoints",
        {"endpoint"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto e = a.get<platform::EndpointRecord>("endpoint");
          check_endpoint_settings(e.name, e.settings, a.artifacts(), s);
          // What only the server sets: the keys (made and sealed here), the owner (this
          // server's user, whose agent runs the process), the creator, the clock, the state.
          if (!e.sealed_keys.empty() || e.generation != 1 ||
              e.status.state != platform::EndpointState::Creating || e.status.pid != 0)
            throw Error(ErrorKind::Permission,
                        "endpoint " + quote_bytes(e.name) +
                            ": its keys, generation and status are set by the server");
          if (s.find_endpoint(e.name))
            throw Error(ErrorKind::Conflict, "endpoint " + quote_bytes(e.name) + " already exists");
          e.status = {};
          e.sealed_keys = platform::new_sealed_endpoint_keys(a.workspace());
          e.owner_uid = static_cast<int64_t>(::geteuid());
          e.created_by = who.user;
          e.created_at = 0;
          wake = true;
          return endpoint_view(s.create_endpoint(e));
        }}},
      {"find_endpoint",
       {Role::Reader,
        "read endpoints",
        {"name"},
        [](Args& a, S& s, const P&, bool&) -> json {
          const auto e = s.find_endpoint(a.get<std::string>("name"));
          return e ? endpoint_view(*e) : json(nullptr);
        }}},
      {"list_endpoints",
       {Role::Reader,
        "list endpoints",
        {},
        [](Args&, S& s, const P&, bool&) -> json {
          json out = json::array();
          for (auto& e : s.list_endpoints()) out.push_back(endpoint_view(std::move(e)));
          return out;
        }}},
      {"update_endpoint_settings",
       {Role::Contributor,
        "change endpoints",
        {"name", "expected_generation", "settings"},
        [](Args& a, S& s, const P&, bool& wake) -> json {
          const auto name = a.get<std::string>("name");
          const auto expected = a.get<int64_t>("expected_generation");
          const auto settings = a.get<platform::EndpointSettings>("settings");
          check_endpoint_settings(name, settings, a.artifacts(), s);
          const auto current = s.find_endpoint(name);
          if (!current) throw Error(ErrorKind::NotFound, "unknown endpoint " + quote_bytes(name));
          // What update_endpoint never changes (the process keeps them until a restart, and a
          // port is checked against the other endpoints' only at create).
          const auto& was = current->settings;
          if (settings.host != was.host || settings.port != was.port ||
              settings.scoring != was.scoring)
            throw Error("endpoint " + quote_bytes(name) +
                        ": host, port and scoring are fixed at creation (create another "
                        "endpoint to change them)");
          // The keys stay the server's: those of the generation the client read (a change of
          // keys since is a new generation, so the compare-and-set refuses it then).
          const bool done =
              s.update_endpoint_settings(name, expected, settings, current->sealed_keys);
          wake = done;
          return done;
        }}},
      {"request_endpoint_delete",
       {Role::Contributor,
        "delete endpoints",
        {"name"},
        [](Args& a, S& s, const P&, bool& wake) -> json {
          s.request_endpoint_delete(a.get<std::string>("name"));
          wake = true;
          return nullptr;
        }}},
      {"endpoint_events",
       {Role::Reader,
        "read endpoints",
        {"name"},
        [](Args& a, S& s, const P&, bool&) -> json {
          return s.endpoint_events(a.get<std::string>("name"));
        }}},
  };
  return table;
}

}  // namespace glia::server::api

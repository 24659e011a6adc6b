// Online endpoints over the REST API (docs/endpoints.md): list and show (readers), create,
// update, delete and the keys (contributors: the keys open the endpoint, as Azure's listKeys
// needs write access). The served workspace's agent runs the processes; it is woken on a change.
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/endpoint_logs.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

// The settings both create and update take, each given only when present, read with its range
// from the platform's one table (the checks of create and update, the CLI's).
template <typename Set>
void read_settings(const nlohmann::json& body, Set&& set) {
  for (const auto& r : platform::endpoint_setting_ranges())
    if (body.contains(r.name)) set(std::string(r.name), body_int(body, r.name, r.min, r.max));
}

}  // namespace

void register_endpoint_routes(http::Router& router, ServerContext& context) {
  const std::string p = std::string(kWorkspacePrefix) + "/endpoints";
  router.add("GET", p, [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list endpoints");
    allow_only(r, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : s.ws().store().list_endpoints()) out.push_back(platform::endpoint_json(e));
    return http::Response::json(out);
  });
  router.add("GET", p + "/{name}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read endpoints");
    allow_only(r, {});
    const auto e = platform::get_endpoint(s.ws(), r.param("name"));
    return http::Response::json(platform::endpoint_show_json(s.ws(), e));
  });
  router.add("POST", p,
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "create endpoints");
               allow_only(r, {});
               const auto body = json_object_body(
                   r, {"name", "model", "instances", "auth_mode", "max_batch_size",
                       "max_queue_delay_us", "max_queue", "max_body_bytes", "max_rows",
                       "request_timeout_ms", "port", "host", "description", "tags"});
               for (const char* k : {"name", "model"})
                 if (!body.contains(k))
                   throw Error(std::string("request body: '") + k + "' is required");
               platform::EndpointCreate c;
               c.name = body_text(body, "name");
               c.model = body_text(body, "model");
               auto& st = c.settings;
               read_settings(body, [&st](const std::string& k, int64_t v) {
                 (k == "instances"            ? st.instances
                  : k == "max_batch_size"     ? st.max_batch_size
                  : k == "max_queue_delay_us" ? st.max_queue_delay_us
                  : k == "max_queue"          ? st.max_queue
                  : k == "max_body_bytes"     ? st.max_body_bytes
                  : k == "max_rows"           ? st.max_rows
                                              : st.request_timeout_ms) = v;
               });
               if (body.contains("port")) st.port = body_int(body, "port", 0, 65535);
               if (body.contains("host")) st.host = body_text(body, "host");
               if (body.contains("auth_mode")) st.auth_mode = body_text(body, "auth_mode");
               if (body.contains("description")) st.description = body_text(body, "description");
               if (body.contains("tags")) {
                 const auto& t = body["tags"];
                 if (!t.is_object()) throw Error("'tags': expected an object of strings");
                 for (const auto& [k, v] : t.items()) {
                   if (!v.is_string()) throw Error("'tags." + k + "': expected a string");
                   st.tags[k] = v.get<std::string>();
                 }
               }
               c.created_by = s.principal.user;
               const auto e = platform::create_endpoint(s.ws(), c);
               context.wake_agent(s.served);
               return http::Response::json(platform::endpoint_json(e), 201);
             },
             {.max_body = 64 << 10});
  router.add("PATCH", p + "/{name}",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "change endpoints");
               allow_only(r, {});
               const auto body =
                   json_object_body(r, {"model", "instances", "auth_mode", "max_batch_size",
                                        "max_queue_delay_us", "max_queue", "max_body_bytes",
                                        "max_rows", "request_timeout_ms", "description"});
               if (body.empty()) throw Error("request body: nothing to change");
               platform::EndpointUpdate u;
               if (body.contains("model")) u.model = body_text(body, "model");
               if (body.contains("auth_mode")) u.auth_mode = body_text(body, "auth_mode");
               if (body.contains("description")) u.description = body_text(body, "description");
               read_settings(body, [&u](const std::string& k, int64_t v) {
                 (k == "instances"            ? u.instances
                  : k == "max_batch_size"     ? u.max_batch_size
                  : k == "max_queue_delay_us" ? u.max_queue_delay_us
                  : k == "max_queue"          ? u.max_queue
                  : k == "max_body_bytes"     ? u.max_body_bytes
                  : k == "max_rows"           ? u.max_rows
                                              : u.request_timeout_ms) = v;
               });
               const auto e = platform::update_endpoint(s.ws(), r.param("name"), u);
               context.wake_agent(s.served);
               return http::Response::json(platform::endpoint_json(e));
             },
             {.max_body = 64 << 10});
  router.add("DELETE", p + "/{name}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Contributor, "delete endpoints");
    allow_only(r, {});
    platform::delete_endpoint(s.ws(), r.param("name"));
    context.wake_agent(s.served);
    return http::Response::json(
        platform::endpoint_json(platform::get_endpoint(s.ws(), r.param("name"))), 202);
  });
  router.add("GET", p + "/{name}/keys", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Contributor, "read endpoint keys");
    allow_only(r, {});
    const auto k = platform::endpoint_keys(s.ws(), r.param("name"));
    return http::Response::json({{"primaryKey", k.primary}, {"secondaryKey", k.secondary}});
  });
  router.add(
      "POST", p + "/{name}/keys/regenerate",
      [&context](http::Request& r) {
        Scope s = authorize(context, r, Role::Contributor, "regenerate endpoint keys");
        allow_only(r, {});
        const auto body = json_object_body(r, {"keyType"});
        if (!body.contains("keyType")) throw Error("request body: 'keyType' is required");
        const auto k =
            platform::regenerate_endpoint_key(s.ws(), r.param("name"), body_text(body, "keyType"));
        context.wake_agent(s.served);
        return http::Response::json({{"primaryKey", k.primary}, {"secondaryKey", k.secondary}});
      },
      {.max_body = 4 << 10});
  router.add("GET", p + "/{name}/logs", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read endpoint logs");
    allow_only(r, {"tail", "access"});
    const int64_t tail = query_int(r, "tail", 0, 100000).value_or(100);
    return http::Response::text(platform::endpoint_log_tail(
        s.ws(), r.param("name"), tail, query_bool(r, "access").value_or(false)));
  });
}

}  // namespace glia::server::api

// Online endpoints as JSON (json_views.hpp): what `glia endpoint list/show -o json` prints and the
// REST API answers. The keys are never part of it.
#include "glia/platform/endpoints.hpp"
#include "glia/platform/json_views.hpp"

namespace glia::platform {

namespace {

std::string model_text(const std::string& name, int64_t version) {
  return name + ":" + std::to_string(version);
}

}  // namespace

nlohmann::json endpoint_json(const EndpointRecord& e) {
  const EndpointSettings& s = e.settings;
  const EndpointStatus& st = e.status;
  nlohmann::json j = {
      {"name", e.name},
      {"state", std::string(endpoint_state_name(st.state))},
      {"reason", st.reason},
      {"scoring_uri", endpoint_scoring_uri(e)},
      {"model", model_text(s.model_name, s.model_version)},
      {"model_name", s.model_name},
      {"model_version", s.model_version},
      {"served_model_version",
       st.served_model_version > 0 ? nlohmann::json(st.served_model_version) : nullptr},
      {"generation", e.generation},
      {"served_generation",
       st.served_generation > 0 ? nlohmann::json(st.served_generation) : nullptr},
      {"scoring", s.scoring},
      {"auth_mode", s.auth_mode},
      {"instances", s.instances},
      {"batching",
       {{"max_batch_size", s.max_batch_size},
        {"max_queue_delay_us", s.max_queue_delay_us},
        {"max_queue", s.max_queue}}},
      {"limits",
       {{"max_body_bytes", s.max_body_bytes},
        {"max_rows", s.max_rows},
        {"request_timeout_ms", s.request_timeout_ms}}},
      {"host", s.host},
      {"port", st.port != 0 ? st.port : s.port},
      {"pid", st.pid > 0 ? nlohmann::json(st.pid) : nullptr},
      {"restarts", st.restarts},
      {"owner_uid", e.owner_uid},
      {"created_by", e.created_by},
      {"created_at", iso_time(e.created_at)},
      {"updated_at", iso_time(e.updated_at)},
      {"tags", s.tags},
      {"description", s.description},
  };
  if (s.scoring == "python") {
    j["scoring_script"] = s.scoring_script;
    j["environment"] = s.environment;
    j["code_snapshot"] = s.code_manifest;
  }
  return j;
}

nlohmann::json endpoint_show_json(Workspace& ws, const EndpointRecord& e) {
  nlohmann::json j = endpoint_json(e);
  nlohmann::json events = nlohmann::json::array();
  for (const auto& ev : ws.store().endpoint_events(e.name))
    events.push_back({{"time", iso_time(ev.time)},
                      {"state", std::string(endpoint_state_name(ev.state))},
                      {"reason", ev.reason}});
  j["events"] = std::move(events);
  return j;
}

}  // namespace glia::platform

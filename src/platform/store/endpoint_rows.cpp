// The endpoint records' shared part of both stores (endpoint_rows.hpp).
#include "store/endpoint_rows.hpp"

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/store_json.hpp"

namespace glia::platform::endpoint_rows {

namespace {

std::string quoted(const std::string& name) {
  return "endpoint " + quote_bytes(name);
}

}  // namespace

std::string settings_text(const EndpointSettings& settings) {
  return nlohmann::json(settings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EndpointSettings settings_of(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw Error(ErrorKind::Corrupt, "an endpoint's stored settings are not valid JSON");
  try {
    return j.get<EndpointSettings>();
  } catch (const Error& e) {
    throw Error(ErrorKind::Corrupt, std::string("an endpoint's stored settings: ") + e.what());
  }
}

void check_new(const EndpointRecord& e) {
  if (e.name.empty()) throw Error("an endpoint needs a name");
  if (e.settings.model_name.empty()) throw Error(quoted(e.name) + " needs a model");
  if (e.generation < 1)
    throw Error(quoted(e.name) + ": generation " + std::to_string(e.generation) +
                " (expected 1 or more)");
  if (e.status.state == EndpointState::Deleting)
    throw Error(quoted(e.name) + " cannot be created Deleting");
}

void check_status(const EndpointStatus& status) {
  if (status.state == EndpointState::Deleting)
    throw Error("an endpoint's status cannot be set to Deleting: request its delete instead");
}

std::optional<std::pair<EndpointState, std::string>> state_for_new_generation(
    EndpointState state, const std::string& reason, int64_t served_generation,
    int64_t new_generation) {
  if (state == EndpointState::Failed)
    return std::pair{served_generation > 0 ? EndpointState::Unhealthy : EndpointState::Creating,
                     "generation " + std::to_string(new_generation) + " recorded: starting again"};
  if (state == EndpointState::Healthy && !reason.empty())
    return std::pair{EndpointState::Healthy, std::string()};
  return std::nullopt;
}

void throw_unknown(const std::string& name) {
  throw Error(ErrorKind::NotFound, "unknown " + quoted(name));
}

void throw_exists(const std::string& name) {
  throw Error(ErrorKind::Conflict, quoted(name) + " already exists");
}

void throw_deleting(const std::string& name) {
  throw Error(ErrorKind::Conflict, quoted(name) + " is being deleted");
}

void throw_not_deleting(const std::string& name) {
  throw Error(ErrorKind::Conflict,
              quoted(name) + " is not being deleted; request its delete first");
}

void throw_unknown_model(const std::string& model, int64_t version) {
  throw Error(ErrorKind::NotFound,
              "unknown model version '" + model + ":" + std::to_string(version) + "'");
}

void throw_model_in_use(const std::string& model, int64_t version, const std::string& endpoint) {
  throw Error(ErrorKind::Conflict,
              "model version '" + model + ":" + std::to_string(version) + "' is used by " +
                  quoted(endpoint) + "; update the endpoint to another version or delete it first");
}

}  // namespace glia::platform::endpoint_rows

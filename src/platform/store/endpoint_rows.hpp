// What both stores share of the endpoint records (migration 13): the settings' column text, the
// checks made before anything is written, and the errors they give.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "glia/platform/endpoint_records.hpp"

namespace glia::platform::endpoint_rows {

/// The `settings` column: the settings as store JSON (store_json.hpp), and back.
std::string settings_text(const EndpointSettings& settings);
EndpointSettings settings_of(const std::string& text);

/// A record create_endpoint accepts: a name, a model, generation >= 1, not Deleting.
void check_new(const EndpointRecord& e);
/// What set_endpoint_status accepts: not Deleting (request_endpoint_delete does that).
void check_status(const EndpointStatus& status);

/// The state and reason a new generation (update_endpoint_settings) records, when the current
/// ones describe the previous generation: Failed → Unhealthy (Creating when it never served,
/// `served_generation` 0) "generation N recorded: starting again"; Healthy with a reason (its
/// update failed) → Healthy without. Otherwise nothing changes.
std::optional<std::pair<EndpointState, std::string>> state_for_new_generation(
    EndpointState state, const std::string& reason, int64_t served_generation,
    int64_t new_generation);

[[noreturn]] void throw_unknown(const std::string& name);                          // NotFound
[[noreturn]] void throw_exists(const std::string& name);                           // Conflict
[[noreturn]] void throw_deleting(const std::string& name);                         // Conflict
[[noreturn]] void throw_not_deleting(const std::string& name);                     // Conflict
[[noreturn]] void throw_unknown_model(const std::string& model, int64_t version);  // NotFound
/// Conflict: the version is used by `endpoint`.
[[noreturn]] void throw_model_in_use(const std::string& model, int64_t version,
                                     const std::string& endpoint);

/// The query both stores run before deleting a model version: the first endpoint (by name) whose
/// settings name the version ($1 name, $2 version: SQLite numbers them so too), or whose process
/// serves it — served_model_version of the model its served generation named (the current one when
/// that generation is unknown).
inline constexpr const char* kEndpointUsingModel =
    "SELECT e.name FROM endpoints e LEFT JOIN endpoint_generations g "
    "ON g.endpoint = e.name AND g.generation = e.served_generation "
    "WHERE (e.model_name = $1 AND e.model_version = $2) OR "
    "(e.served_model_version = $2 AND COALESCE(g.model_name, e.model_name) = $1) "
    "ORDER BY e.name LIMIT 1";

}  // namespace glia::platform::endpoint_rows

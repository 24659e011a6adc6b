// The PostgreSQL store's online endpoints (migration 13), as SQLite's: each write locks the
// endpoint's row (FOR NO KEY UPDATE) before it decides, and the model version it names FOR KEY
// SHARE (delete_model_version takes it FOR UPDATE and then looks for endpoints using it).
#include "glia/error.hpp"
#include "store/endpoint_rows.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace rows = endpoint_rows;

namespace {

constexpr const char* kColumns =
    "name, settings, generation, sealed_keys, state, reason, port, served_generation, "
    "served_model_version, pid, pid_start, restarts, owner_uid, created_by, created_at, "
    "updated_at";

EndpointRecord read_endpoint(const pqxx::row& s) {
  EndpointRecord e;
  e.name = read_text(s[0]);
  e.settings = rows::settings_of(read_text(s[1]));
  e.generation = s[2].as<int64_t>();
  e.sealed_keys = read_text(s[3]);
  e.status.state = parse_endpoint_state(read_text(s[4]));
  e.status.reason = read_text(s[5]);
  e.status.port = s[6].as<int64_t>();
  e.status.served_generation = s[7].as<int64_t>();
  e.status.served_model_version = s[8].as<int64_t>();
  e.status.pid = s[9].as<int64_t>();
  e.status.pid_start = read_text(s[10]);
  e.status.restarts = s[11].as<int64_t>();
  e.owner_uid = s[12].as<int64_t>();
  e.created_by = read_text(s[13]);
  e.created_at = read_f8(s[14]);
  e.updated_at = read_f8(s[15]);
  return e;
}

std::string state_text(EndpointState state) {
  return std::string(endpoint_state_name(state));
}

// Locks the version's row against its delete until the transaction ends.
void hold_model_version(Tx& tx, const std::string& model, int64_t version) {
  if (exec(tx, "SELECT 1 FROM models WHERE name = $1 AND version = $2 FOR KEY SHARE", model,
           version)
          .empty())
    rows::throw_unknown_model(model, version);
}

void add_generation(Tx& tx, const std::string& name, int64_t generation,
                    const EndpointSettings& settings) {
  exec(tx,
       "INSERT INTO endpoint_generations(endpoint, generation, model_name, model_version) "
       "VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint, generation) DO UPDATE SET "
       "model_name = excluded.model_name, model_version = excluded.model_version",
       name, generation, settings.model_name, settings.model_version);
}

void add_event(Tx& tx, const std::string& name, double at, EndpointState state,
               const std::string& reason) {
  exec(tx,
       "INSERT INTO endpoint_events(endpoint, time, state, reason) VALUES ($1, $2::float8, $3, $4)",
       name, f8(at), state_text(state), reason);
}

// The endpoint's row locked: its state and reason; NotFound for an unknown one.
std::pair<EndpointState, std::string> lock_endpoint(Tx& tx, const std::string& name) {
  auto res =
      exec(tx, "SELECT state, reason FROM endpoints WHERE name = $1 FOR NO KEY UPDATE", name);
  if (res.empty()) rows::throw_unknown(name);
  return {parse_endpoint_state(read_text(res[0][0])), read_text(res[0][1])};
}

}  // namespace

void refuse_model_in_use(Tx& tx, const std::string& model, int64_t version) {
  auto res = exec(tx, rows::kEndpointUsingModel, model, version);
  if (!res.empty()) rows::throw_model_in_use(model, version, read_text(res[0][0]));
}

EndpointRecord PgStore::create_endpoint(const EndpointRecord& e) {
  rows::check_new(e);
  EndpointRecord out = e;
  if (out.created_at <= 0) out.created_at = now_seconds();
  out.updated_at = out.created_at;
  pool_.write([&](Tx& tx) {
    if (!exec(tx, "SELECT 1 FROM endpoints WHERE name = $1", out.name).empty())
      rows::throw_exists(out.name);
    hold_model_version(tx, out.settings.model_name, out.settings.model_version);
    auto res = exec(tx,
                    std::string("INSERT INTO endpoints(") + kColumns +
                        ", model_name, model_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                        "$10, $11, $12, $13, $14, $15::float8, $16::float8, $17, $18) "
                        "ON CONFLICT (name) DO NOTHING",
                    out.name, rows::settings_text(out.settings), out.generation, out.sealed_keys,
                    state_text(out.status.state), out.status.reason, out.status.port,
                    out.status.served_generation, out.status.served_model_version, out.status.pid,
                    out.status.pid_start, out.status.restarts, out.owner_uid, out.created_by,
                    f8(out.created_at), f8(out.updated_at), out.settings.model_name,
                    out.settings.model_version);
    if (changed(res) == 0) rows::throw_exists(out.name);
    add_generation(tx, out.name, out.generation, out.settings);
    add_event(tx, out.name, out.created_at, out.status.state, out.status.reason);
  });
  return out;
}

std::optional<EndpointRecord> PgStore::find_endpoint(const std::string& name) {
  std::optional<EndpointRecord> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, std::string("SELECT ") + kColumns + " FROM endpoints WHERE name = $1", name);
    out.reset();
    if (!res.empty()) out = read_endpoint(res[0]);
  });
  return out;
}

std::vector<EndpointRecord> PgStore::list_endpoints() {
  std::vector<EndpointRecord> out;
  pool_.read([&](Tx& tx) {
    auto res =
        tx.exec(std::string("SELECT ") + kColumns + " FROM endpoints ORDER BY name COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_endpoint(row));
  });
  return out;
}

bool PgStore::update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                       const EndpointSettings& settings,
                                       const std::string& sealed_keys) {
  if (settings.model_name.empty()) throw Error("endpoint '" + name + "' needs a model");
  bool updated = false;
  pool_.write([&](Tx& tx) {
    updated = false;
    auto cur = exec(tx,
                    "SELECT generation, state, reason, served_generation FROM endpoints "
                    "WHERE name = $1 FOR NO KEY UPDATE",
                    name);
    if (cur.empty()) rows::throw_unknown(name);
    const EndpointState state = parse_endpoint_state(read_text(cur[0][1]));
    if (state == EndpointState::Deleting) rows::throw_deleting(name);
    const auto generation = cur[0][0].as<int64_t>();
    if (generation != expected_generation) return;
    hold_model_version(tx, settings.model_name, settings.model_version);
    exec(tx,
         "UPDATE endpoints SET settings = $1, model_name = $2, model_version = $3, "
         "generation = $4, sealed_keys = $5, updated_at = $6::float8 WHERE name = $7",
         rows::settings_text(settings), settings.model_name, settings.model_version, generation + 1,
         sealed_keys, f8(now_seconds()), name);
    add_generation(tx, name, generation + 1, settings);
    if (const auto next = rows::state_for_new_generation(state, read_text(cur[0][2]),
                                                         cur[0][3].as<int64_t>(), generation + 1)) {
      const double now = now_seconds();
      exec(tx, "UPDATE endpoints SET state = $1, reason = $2 WHERE name = $3",
           state_text(next->first), next->second, name);
      add_event(tx, name, now, next->first, next->second);
    }
    updated = true;
  });
  return updated;
}

void PgStore::set_endpoint_status(const std::string& name, const EndpointStatus& status) {
  rows::check_status(status);
  pool_.write([&](Tx& tx) {
    const auto [state, reason] = lock_endpoint(tx, name);
    const bool deleting = state == EndpointState::Deleting;
    const EndpointState new_state = deleting ? state : status.state;
    const std::string& new_reason = deleting ? reason : status.reason;
    const double now = now_seconds();
    exec(tx,
         "UPDATE endpoints SET state = $1, reason = $2, port = $3, served_generation = $4, "
         "served_model_version = $5, pid = $6, pid_start = $7, restarts = $8, "
         "updated_at = $9::float8 WHERE name = $10",
         state_text(new_state), new_reason, status.port, status.served_generation,
         status.served_model_version, status.pid, status.pid_start, status.restarts, f8(now), name);
    if (new_state != state || new_reason != reason) add_event(tx, name, now, new_state, new_reason);
  });
}

void PgStore::request_endpoint_delete(const std::string& name) {
  pool_.write([&](Tx& tx) {
    if (lock_endpoint(tx, name).first == EndpointState::Deleting) return;
    const double now = now_seconds();
    exec(tx,
         "UPDATE endpoints SET state = $1, reason = '', updated_at = $2::float8 WHERE name = $3",
         state_text(EndpointState::Deleting), f8(now), name);
    add_event(tx, name, now, EndpointState::Deleting, "");
  });
}

bool PgStore::remove_endpoint(const std::string& name) {
  bool removed = false;
  pool_.write([&](Tx& tx) {
    removed = false;
    auto cur = exec(tx, "SELECT state FROM endpoints WHERE name = $1 FOR UPDATE", name);
    if (cur.empty()) return;
    if (parse_endpoint_state(read_text(cur[0][0])) != EndpointState::Deleting)
      rows::throw_not_deleting(name);
    exec(tx, "DELETE FROM endpoint_events WHERE endpoint = $1", name);
    exec(tx, "DELETE FROM endpoint_generations WHERE endpoint = $1", name);
    exec(tx, "DELETE FROM endpoints WHERE name = $1", name);
    removed = true;
  });
  return removed;
}

std::vector<EndpointEvent> PgStore::endpoint_events(const std::string& name) {
  std::vector<EndpointEvent> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, "SELECT time, state, reason FROM endpoint_events WHERE endpoint = $1 ORDER BY id",
             name);
    out.clear();
    for (const auto& row : res)
      out.push_back({read_f8(row[0]), parse_endpoint_state(read_text(row[1])), read_text(row[2])});
  });
  return out;
}

}  // namespace glia::platform::pg

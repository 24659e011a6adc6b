// The SQLite store's online endpoints (migration 13): the records, their generations' models and
// their state changes, each write one BEGIN IMMEDIATE transaction.
#include "glia/error.hpp"
#include "store/endpoint_rows.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace rows = endpoint_rows;

namespace {

constexpr const char* kColumns =
    "name, settings, generation, sealed_keys, state, reason, port, served_generation, "
    "served_model_version, pid, pid_start, restarts, owner_uid, created_by, created_at, "
    "updated_at";

EndpointRecord read_endpoint(const Stmt& s) {
  EndpointRecord e;
  e.name = s.text(0);
  e.settings = rows::settings_of(s.text(1));
  e.generation = s.int64(2);
  e.sealed_keys = s.text(3);
  e.status.state = parse_endpoint_state(s.text(4));
  e.status.reason = s.text(5);
  e.status.port = s.int64(6);
  e.status.served_generation = s.int64(7);
  e.status.served_model_version = s.int64(8);
  e.status.pid = s.int64(9);
  e.status.pid_start = s.text(10);
  e.status.restarts = s.int64(11);
  e.owner_uid = s.int64(12);
  e.created_by = s.text(13);
  e.created_at = s.real(14);
  e.updated_at = s.real(15);
  return e;
}

// The endpoint's state and reason; NotFound for an unknown one.
std::pair<EndpointState, std::string> current_state(Db& db, const std::string& name) {
  Stmt s(db, "SELECT state, reason FROM endpoints WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) rows::throw_unknown(name);
  return {parse_endpoint_state(s.text(0)), s.text(1)};
}

void require_model_version(Db& db, const std::string& model, int64_t version) {
  Stmt s(db, "SELECT 1 FROM models WHERE name = ? AND version = ?");
  s.bind(1, model).bind(2, version);
  if (!s.step()) rows::throw_unknown_model(model, version);
}

void add_generation(Db& db, const std::string& name, int64_t generation,
                    const EndpointSettings& settings) {
  Stmt(db,
       "INSERT INTO endpoint_generations(endpoint, generation, model_name, model_version) "
       "VALUES (?,?,?,?) ON CONFLICT(endpoint, generation) DO UPDATE SET "
       "model_name = excluded.model_name, model_version = excluded.model_version")
      .bind(1, name)
      .bind(2, generation)
      .bind(3, settings.model_name)
      .bind(4, settings.model_version)
      .run();
}

void add_event(Db& db, const std::string& name, double at, EndpointState state,
               const std::string& reason) {
  Stmt(db, "INSERT INTO endpoint_events(endpoint, time, state, reason) VALUES (?,?,?,?)")
      .bind(1, name)
      .bind(2, at)
      .bind(3, std::string(endpoint_state_name(state)))
      .bind(4, reason)
      .run();
}

}  // namespace

// Called by delete_model_version inside its transaction.
void refuse_model_in_use(Db& db, const std::string& model, int64_t version) {
  Stmt s(db, rows::kEndpointUsingModel);
  s.bind(1, model).bind(2, version);
  if (s.step()) rows::throw_model_in_use(model, version, s.text(0));
}

EndpointRecord SqliteStore::create_endpoint(const EndpointRecord& e) {
  rows::check_new(e);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  {
    Stmt s(db_, "SELECT 1 FROM endpoints WHERE name = ?");
    s.bind(1, e.name);
    if (s.step()) rows::throw_exists(e.name);
  }
  require_model_version(db_, e.settings.model_name, e.settings.model_version);
  EndpointRecord out = e;
  if (out.created_at <= 0) out.created_at = now_seconds();
  out.updated_at = out.created_at;
  Stmt(db_, std::string("INSERT INTO endpoints(") + kColumns +
                ", model_name, model_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, out.name)
      .bind(2, rows::settings_text(out.settings))
      .bind(3, out.generation)
      .bind(4, out.sealed_keys)
      .bind(5, std::string(endpoint_state_name(out.status.state)))
      .bind(6, out.status.reason)
      .bind(7, out.status.port)
      .bind(8, out.status.served_generation)
      .bind(9, out.status.served_model_version)
      .bind(10, out.status.pid)
      .bind(11, out.status.pid_start)
      .bind(12, out.status.restarts)
      .bind(13, out.owner_uid)
      .bind(14, out.created_by)
      .bind(15, out.created_at)
      .bind(16, out.updated_at)
      .bind(17, out.settings.model_name)
      .bind(18, out.settings.model_version)
      .run();
  add_generation(db_, out.name, out.generation, out.settings);
  add_event(db_, out.name, out.created_at, out.status.state, out.status.reason);
  tx.commit();
  return out;
}

std::optional<EndpointRecord> SqliteStore::find_endpoint(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM endpoints WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_endpoint(s);
}

std::vector<EndpointRecord> SqliteStore::list_endpoints() {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM endpoints ORDER BY name");
  std::vector<EndpointRecord> out;
  while (s.step()) out.push_back(read_endpoint(s));
  return out;
}

bool SqliteStore::update_endpoint_settings(const std::string& name, int64_t expected_generation,
                                           const EndpointSettings& settings,
                                           const std::string& sealed_keys) {
  if (settings.model_name.empty()) throw Error("endpoint '" + name + "' needs a model");
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  int64_t generation = 0, served_generation = 0;
  EndpointState state = EndpointState::Creating;
  std::string reason;
  {
    Stmt s(db_,
           "SELECT generation, state, reason, served_generation FROM endpoints WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) rows::throw_unknown(name);
    state = parse_endpoint_state(s.text(1));
    if (state == EndpointState::Deleting) rows::throw_deleting(name);
    generation = s.int64(0);
    reason = s.text(2);
    served_generation = s.int64(3);
  }
  if (generation != expected_generation) return false;
  require_model_version(db_, settings.model_name, settings.model_version);
  Stmt(db_,
       "UPDATE endpoints SET settings = ?, model_name = ?, model_version = ?, generation = ?, "
       "sealed_keys = ?, updated_at = ? WHERE name = ?")
      .bind(1, rows::settings_text(settings))
      .bind(2, settings.model_name)
      .bind(3, settings.model_version)
      .bind(4, generation + 1)
      .bind(5, sealed_keys)
      .bind(6, now_seconds())
      .bind(7, name)
      .run();
  add_generation(db_, name, generation + 1, settings);
  if (const auto next =
          rows::state_for_new_generation(state, reason, served_generation, generation + 1)) {
    const double now = now_seconds();
    Stmt(db_, "UPDATE endpoints SET state = ?, reason = ? WHERE name = ?")
        .bind(1, std::string(endpoint_state_name(next->first)))
        .bind(2, next->second)
        .bind(3, name)
        .run();
    add_event(db_, name, now, next->first, next->second);
  }
  tx.commit();
  return true;
}

void SqliteStore::set_endpoint_status(const std::string& name, const EndpointStatus& status) {
  rows::check_status(status);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  const auto [state, reason] = current_state(db_, name);
  const bool deleting = state == EndpointState::Deleting;
  const EndpointState new_state = deleting ? state : status.state;
  const std::string& new_reason = deleting ? reason : status.reason;
  const double now = now_seconds();
  Stmt(db_,
       "UPDATE endpoints SET state = ?, reason = ?, port = ?, served_generation = ?, "
       "served_model_version = ?, pid = ?, pid_start = ?, restarts = ?, updated_at = ? "
       "WHERE name = ?")
      .bind(1, std::string(endpoint_state_name(new_state)))
      .bind(2, new_reason)
      .bind(3, status.port)
      .bind(4, status.served_generation)
      .bind(5, status.served_model_version)
      .bind(6, status.pid)
      .bind(7, status.pid_start)
      .bind(8, status.restarts)
      .bind(9, now)
      .bind(10, name)
      .run();
  if (new_state != state || new_reason != reason) add_event(db_, name, now, new_state, new_reason);
  tx.commit();
}

void SqliteStore::request_endpoint_delete(const std::string& name) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (current_state(db_, name).first == EndpointState::Deleting) return;
  const double now = now_seconds();
  Stmt(db_, "UPDATE endpoints SET state = ?, reason = '', updated_at = ? WHERE name = ?")
      .bind(1, std::string(endpoint_state_name(EndpointState::Deleting)))
      .bind(2, now)
      .bind(3, name)
      .run();
  add_event(db_, name, now, EndpointState::Deleting, "");
  tx.commit();
}

bool SqliteStore::remove_endpoint(const std::string& name) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  {
    Stmt s(db_, "SELECT state FROM endpoints WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) return false;
    if (parse_endpoint_state(s.text(0)) != EndpointState::Deleting) rows::throw_not_deleting(name);
  }
  for (const char* sql : {"DELETE FROM endpoint_events WHERE endpoint = ?",
                          "DELETE FROM endpoint_generations WHERE endpoint = ?",
                          "DELETE FROM endpoints WHERE name = ?"})
    Stmt(db_, sql).bind(1, name).run();
  tx.commit();
  return true;
}

std::vector<EndpointEvent> SqliteStore::endpoint_events(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT time, state, reason FROM endpoint_events WHERE endpoint = ? ORDER BY id");
  s.bind(1, name);
  std::vector<EndpointEvent> out;
  while (s.step()) out.push_back({s.real(0), parse_endpoint_state(s.text(1)), s.text(2)});
  return out;
}

}  // namespace glia::platform::sqlite

// The SQLite store's part of MLflow's view (migration 10): experiments' lifecycle and tags, run
// parameters and deletion, registered models with no version.
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kExperimentColumns =
    "id, name, created_at, COALESCE(updated_at, created_at), deleted";

ExperimentRecord read_experiment(Db& db, const Stmt& s) {
  ExperimentRecord e{s.int64(0), s.text(1), s.real(2), s.real(3), s.int64(4) != 0, {}};
  Stmt tags(db, "SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key");
  tags.bind(1, e.id);
  while (tags.step()) e.tags[tags.text(0)] = tags.text(1);
  return e;
}

void insert_experiment_tags(Db& db, int64_t id, const std::map<std::string, std::string>& tags) {
  Stmt ins(db,
           "INSERT INTO experiment_tags(experiment_id, key, value) VALUES (?,?,?) "
           "ON CONFLICT(experiment_id, key) DO UPDATE SET value = excluded.value");
  for (const auto& [k, v] : tags) {
    ins.bind(1, id).bind(2, k).bind(3, v);
    ins.run();
    ins.reset();
  }
}

RegisteredModel read_registered_model(const Stmt& s) {
  return RegisteredModel{s.text(0), s.text(1), s.real(2), s.real(3)};
}

}  // namespace

ExperimentRecord SqliteStore::create_experiment(const std::string& name,
                                                const std::map<std::string, std::string>& tags) {
  if (name.empty()) throw Error("an experiment needs a name");
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  {
    Stmt s(db_, "SELECT 1 FROM experiments WHERE name = ?");
    s.bind(1, name);
    if (s.step()) throw Error(ErrorKind::Conflict, "experiment '" + name + "' already exists");
  }
  const double now = now_seconds();
  Stmt(db_, "INSERT INTO experiments(name, created_at, updated_at) VALUES (?, ?, ?)")
      .bind(1, name)
      .bind(2, now)
      .bind(3, now)
      .run();
  const int64_t id = sqlite3_last_insert_rowid(db_.handle());
  insert_experiment_tags(db_, id, tags);
  tx.commit();
  return ExperimentRecord{id, name, now, now, false, tags};
}

std::optional<ExperimentRecord> SqliteStore::find_experiment(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kExperimentColumns + " FROM experiments WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_experiment(db_, s);
}

std::optional<ExperimentRecord> SqliteStore::find_experiment_by_id(int64_t id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kExperimentColumns + " FROM experiments WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_experiment(db_, s);
}

std::vector<ExperimentRecord> SqliteStore::list_experiment_records() {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kExperimentColumns + " FROM experiments ORDER BY id");
  std::vector<ExperimentRecord> out;
  while (s.step()) out.push_back(read_experiment(db_, s));
  return out;
}

void SqliteStore::update_experiment(int64_t id, std::optional<bool> deleted,
                                    const std::map<std::string, std::string>& tags) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  {
    Stmt s(db_, "SELECT 1 FROM experiments WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) throw Error(ErrorKind::NotFound, "unknown experiment id " + std::to_string(id));
  }
  Stmt(db_, "UPDATE experiments SET deleted = COALESCE(?1, deleted), updated_at = ?2 WHERE id = ?3")
      .bind(1, deleted ? std::optional<int64_t>(*deleted ? 1 : 0) : std::nullopt)
      .bind(2, now_seconds())
      .bind(3, id)
      .run();
  insert_experiment_tags(db_, id, tags);
  tx.commit();
}

void SqliteStore::insert_params(const std::string& run_id,
                                const std::map<std::string, std::string>& params) {
  Stmt cur(db_, "SELECT value FROM run_params WHERE run_id = ? AND key = ?");
  Stmt ins(db_, "INSERT OR IGNORE INTO run_params(run_id, key, value) VALUES (?,?,?)");
  for (const auto& [k, v] : params) {
    cur.bind(1, run_id).bind(2, k);
    if (cur.step() && cur.text(0) != v)
      throw Error(ErrorKind::Conflict, "run '" + run_id + "': parameter '" + k + "' is already '" +
                                           cur.text(0) + "' (parameters are logged once)");
    cur.reset();
    ins.bind(1, run_id).bind(2, k).bind(3, v);
    ins.run();
    ins.reset();
  }
}

void SqliteStore::log_params(const std::string& run_id,
                             const std::map<std::string, std::string>& params) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(run_id);
  insert_params(run_id, params);
  tx.commit();
}

void SqliteStore::log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                            const std::map<std::string, std::string>& params,
                            const std::map<std::string, std::string>& tags) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // one transaction: a refused param rolls back the whole batch
  require_run(run_id);
  insert_params(run_id, params);
  merge_tags(run_id, tags);
  insert_metrics(run_id, metrics);
  tx.commit();
}

std::map<std::string, std::string> SqliteStore::run_params(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT key, value FROM run_params WHERE run_id = ?");
  s.bind(1, run_id);
  std::map<std::string, std::string> out;
  while (s.step()) out[s.text(0)] = s.text(1);
  return out;
}

void SqliteStore::set_run_deleted(const std::string& run_id, std::optional<double> at) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(run_id);
  if (at)
    Stmt(db_, "INSERT OR IGNORE INTO deleted_runs(run_id, deleted_at) VALUES (?, ?)")
        .bind(1, run_id)
        .bind(2, *at)
        .run();
  else
    Stmt(db_, "DELETE FROM deleted_runs WHERE run_id = ?").bind(1, run_id).run();
  tx.commit();
}

std::vector<std::string> SqliteStore::deleted_runs() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT run_id FROM deleted_runs ORDER BY run_id");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

RegisteredModel SqliteStore::create_registered_model(const RegisteredModel& model) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  {
    Stmt s(db_, "SELECT 1 FROM registered_models WHERE name = ?");
    s.bind(1, model.name);
    if (s.step())
      throw Error(ErrorKind::Conflict, "registered model '" + model.name + "' already exists");
  }
  RegisteredModel out = model;
  if (out.created_at <= 0) out.created_at = now_seconds();
  out.updated_at = out.created_at;
  Stmt(db_,
       "INSERT INTO registered_models(name, description, created_at, updated_at) "
       "VALUES (?,?,?,?)")
      .bind(1, out.name)
      .bind(2, out.description)
      .bind(3, out.created_at)
      .bind(4, out.updated_at)
      .run();
  tx.commit();
  return out;
}

std::optional<RegisteredModel> SqliteStore::find_registered_model(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT name, description, created_at, updated_at FROM registered_models WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_registered_model(s);
}

std::vector<RegisteredModel> SqliteStore::list_registered_models() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT name, description, created_at, updated_at FROM registered_models ORDER BY name");
  std::vector<RegisteredModel> out;
  while (s.step()) out.push_back(read_registered_model(s));
  return out;
}

bool SqliteStore::delete_registered_model(const std::string& name) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt s(db_, "SELECT 1 FROM registered_models WHERE name = ?");
  s.bind(1, name);
  const bool there = s.step();
  s.reset();
  if (there) Stmt(db_, "DELETE FROM registered_models WHERE name = ?").bind(1, name).run();
  tx.commit();
  return there;
}

}  // namespace glia::platform::sqlite

// The PostgreSQL store's part of MLflow's view (migration 10): experiments' lifecycle and tags,
// run parameters and deletion, registered models with no version. A name's uniqueness is decided
// by the insert itself (ON CONFLICT), a run's parameters under the run's row lock, and an
// experiment is read with its tags in one statement (one snapshot).
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kExperimentColumns =
    "e.id, e.name, e.created_at, COALESCE(e.updated_at, e.created_at), e.deleted, "
    "COALESCE((SELECT json_object_agg(t.key, t.value) FROM experiment_tags t "
    "WHERE t.experiment_id = e.id), '{}')::text";
constexpr const char* kRegisteredModelColumns = "name, description, created_at, updated_at";

ExperimentRecord read_experiment(const pqxx::row& s) {
  return ExperimentRecord{s[0].as<int64_t>(), read_text(s[1]), read_f8(s[2]),
                          read_f8(s[3]),      s[4].as<bool>(), json_map(read_text(s[5]))};
}

RegisteredModel read_registered_model(const pqxx::row& s) {
  return RegisteredModel{read_text(s[0]), read_text(s[1]), read_f8(s[2]), read_f8(s[3])};
}

/// Adds or replaces the experiment's tags (inside the caller's transaction).
void upsert_experiment_tags(Tx& tx, int64_t id, const std::map<std::string, std::string>& tags) {
  for (const auto& [k, v] : tags)
    exec(tx,
         "INSERT INTO experiment_tags(experiment_id, key, value) VALUES ($1, $2, $3) "
         "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
         id, k, v);
}

}  // namespace

ExperimentRecord PgStore::create_experiment(const std::string& name,
                                            const std::map<std::string, std::string>& tags) {
  if (name.empty()) throw Error("an experiment needs a name");
  const double now = now_seconds();
  int64_t id = 0;
  pool_.write([&](Tx& tx) {
    // The unique name decides: a concurrent create_run or create_experiment of the same name
    // makes this insert wait for it, then do nothing. A name already there takes no number from
    // the sequence (ids stay dense as SQLite's).
    auto res = exec(tx,
                    "INSERT INTO experiments(name, created_at, updated_at) "
                    "SELECT $1, $2::float8, $2::float8 "
                    "WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE name = $1) "
                    "ON CONFLICT (name) DO NOTHING RETURNING id",
                    name, f8(now));
    if (res.empty()) throw Error(ErrorKind::Conflict, "experiment '" + name + "' already exists");
    const int64_t made = res[0][0].as<int64_t>();
    upsert_experiment_tags(tx, made, tags);
    id = made;
  });
  return ExperimentRecord{id, name, now, now, false, tags};
}

std::optional<ExperimentRecord> PgStore::find_experiment(const std::string& name) {
  std::optional<ExperimentRecord> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(
        tx, std::string("SELECT ") + kExperimentColumns + " FROM experiments e WHERE e.name = $1",
        name);
    out.reset();
    if (!res.empty()) out = read_experiment(res[0]);
  });
  return out;
}

std::optional<ExperimentRecord> PgStore::find_experiment_by_id(int64_t id) {
  std::optional<ExperimentRecord> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(
        tx, std::string("SELECT ") + kExperimentColumns + " FROM experiments e WHERE e.id = $1",
        id);
    out.reset();
    if (!res.empty()) out = read_experiment(res[0]);
  });
  return out;
}

std::vector<ExperimentRecord> PgStore::list_experiment_records() {
  std::vector<ExperimentRecord> out;
  pool_.read([&](Tx& tx) {
    auto res =
        tx.exec(std::string("SELECT ") + kExperimentColumns + " FROM experiments e ORDER BY e.id");
    out.clear();
    for (const auto& row : res) out.push_back(read_experiment(row));
  });
  return out;
}

void PgStore::update_experiment(int64_t id, std::optional<bool> deleted,
                                const std::map<std::string, std::string>& tags) {
  const double now = now_seconds();
  pool_.write([&](Tx& tx) {
    // The update locks the experiment's row: concurrent updates of it run one after the other.
    auto res = exec(tx,
                    "UPDATE experiments SET deleted = COALESCE($1::boolean, deleted), "
                    "updated_at = $2::float8 WHERE id = $3",
                    deleted, f8(now), id);
    if (changed(res) == 0)
      throw Error(ErrorKind::NotFound, "unknown experiment id " + std::to_string(id));
    upsert_experiment_tags(tx, id, tags);
  });
}

void PgStore::insert_params(Tx& tx, const std::string& run_id,
                            const std::map<std::string, std::string>& params) {
  for (const auto& [k, v] : params) {
    auto cur = exec(tx, "SELECT value FROM run_params WHERE run_id = $1 AND key = $2", run_id, k);
    if (!cur.empty()) {
      const std::string was = read_text(cur[0][0]);
      if (was != v)
        throw Error(ErrorKind::Conflict, "run '" + run_id + "': parameter '" + k +
                                             "' is already '" + was +
                                             "' (parameters are logged once)");
      continue;
    }
    exec(tx, "INSERT INTO run_params(run_id, key, value) VALUES ($1, $2, $3)", run_id, k, v);
  }
}

void PgStore::log_params(const std::string& run_id,
                         const std::map<std::string, std::string>& params) {
  pool_.write([&](Tx& tx) {
    // The run's row lock serializes the loggers of its parameters: the value checked below is
    // the one the insert keeps, and a batch refused stores nothing.
    lock_run(tx, run_id);
    insert_params(tx, run_id, params);
  });
}

void PgStore::log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                        const std::map<std::string, std::string>& params,
                        const std::map<std::string, std::string>& tags) {
  pool_.write([&](Tx& tx) {
    // One transaction under the run's row lock (as log_params): a refused param rolls back the
    // tags and metrics of the batch too.
    lock_run(tx, run_id);
    insert_params(tx, run_id, params);
    merge_tags(tx, run_id, tags);
    insert_metrics(tx, run_id, metrics);
  });
}

std::map<std::string, std::string> PgStore::run_params(const std::string& run_id) {
  std::map<std::string, std::string> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx, "SELECT key, value FROM run_params WHERE run_id = $1", run_id);
    out.clear();
    for (const auto& row : res) out[read_text(row[0])] = read_text(row[1]);
  });
  return out;
}

void PgStore::set_run_deleted(const std::string& run_id, std::optional<double> at) {
  pool_.write([&](Tx& tx) {
    lock_run(tx, run_id);
    if (at)  // deleted again: the first time stays
      exec(tx,
           "INSERT INTO deleted_runs(run_id, deleted_at) VALUES ($1, $2::float8) "
           "ON CONFLICT (run_id) DO NOTHING",
           run_id, f8(*at));
    else
      exec(tx, "DELETE FROM deleted_runs WHERE run_id = $1", run_id);
  });
}

std::vector<std::string> PgStore::deleted_runs() {
  std::vector<std::string> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec("SELECT run_id FROM deleted_runs ORDER BY run_id COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_text(row[0]));
  });
  return out;
}

RegisteredModel PgStore::create_registered_model(const RegisteredModel& model) {
  RegisteredModel out = model;
  if (out.created_at <= 0) out.created_at = now_seconds();
  out.updated_at = out.created_at;
  pool_.write([&](Tx& tx) {
    auto res = exec(tx,
                    "INSERT INTO registered_models(name, description, created_at, updated_at) "
                    "VALUES ($1, $2, $3::float8, $4::float8) ON CONFLICT (name) DO NOTHING",
                    out.name, out.description, f8(out.created_at), f8(out.updated_at));
    if (changed(res) == 0)
      throw Error(ErrorKind::Conflict, "registered model '" + model.name + "' already exists");
  });
  return out;
}

std::optional<RegisteredModel> PgStore::find_registered_model(const std::string& name) {
  std::optional<RegisteredModel> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    std::string("SELECT ") + kRegisteredModelColumns +
                        " FROM registered_models WHERE name = $1",
                    name);
    out.reset();
    if (!res.empty()) out = read_registered_model(res[0]);
  });
  return out;
}

std::vector<RegisteredModel> PgStore::list_registered_models() {
  std::vector<RegisteredModel> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec(std::string("SELECT ") + kRegisteredModelColumns +
                       " FROM registered_models ORDER BY name COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_registered_model(row));
  });
  return out;
}

bool PgStore::delete_registered_model(const std::string& name) {
  bool there = false;
  pool_.write([&](Tx& tx) {
    there = changed(exec(tx, "DELETE FROM registered_models WHERE name = $1", name)) > 0;
  });
  return there;
}

}  // namespace glia::platform::pg

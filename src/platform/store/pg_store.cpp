// The PostgreSQL store's runs: creation (with a sweep's trial and the run's inputs), lookups and
// lists, status changes with their history, cancel requests, tags and properties.
#include "store/pg_store.hpp"
#include "store/new_run.hpp"

#include <algorithm>
#include <cstdio>

#include "glia/error.hpp"
#include "store/run_search_sql.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kRunColumns =
    "r.id, e.name, r.display_name, r.status, r.created_at, r.started_at, r.ended_at, r.command, "
    "r.compute, r.exit_code, r.error, r.tags, r.spec, r.code_snapshot, r.timeout, r.pid, "
    "r.pid_start, r.agent_pid, r.submitter_uid, r.submitter_name, r.properties, r.job_type, "
    "COALESCE(r.parent_id, '')";

RunRecord read_run(const pqxx::row& s) {
  RunRecord r;
  r.id = read_text(s[0]);
  r.experiment = read_text(s[1]);
  r.display_name = read_text(s[2]);
  r.status = parse_run_status(read_text(s[3]));
  r.created_at = read_f8(s[4]);
  r.started_at = read_opt_f8(s[5]);
  r.ended_at = read_opt_f8(s[6]);
  r.command = read_text(s[7]);
  r.compute = read_text(s[8]);
  if (!s[9].is_null()) r.exit_code = s[9].as<int>();
  r.error = read_text(s[10]);
  r.tags = json_map(read_text(s[11]));
  r.spec = read_text(s[12]);
  r.code_snapshot = read_text(s[13]);
  r.timeout = read_opt_f8(s[14]);
  r.pid = read_opt_int(s[15]);
  r.pid_start = read_opt_int(s[16]);
  r.agent_pid = read_opt_int(s[17]);
  r.submitter_uid = read_opt_int(s[18]);
  r.submitter_name = read_text(s[19]);
  r.properties = json_map(read_text(s[20]));
  r.job_type = read_text(s[21]);
  r.parent_id = read_text(s[22]);
  return r;
}

std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

PgStore::PgStore(const std::string& url, size_t connections) : pool_(url, connections) {
  migrate();
}

int PgStore::schema_version() {
  int out = 0;
  pool_.read([&](Tx& tx) {
    out = tx.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].as<int>();
  });
  return out;
}

RunRecord PgStore::create_run(const NewRun& run) {
  RunRecord r = new_run_record(run);
  pool_.write([&](Tx& tx) {
    r.created_at = now_seconds();
    if (!run.parent_id.empty()) {
      // The parent's row is locked first: a cancel of the sweep waits for this trial or comes
      // before it, never between the check and the insert.
      auto parent =
          exec(tx, "SELECT status FROM runs WHERE id = $1 FOR NO KEY UPDATE", run.parent_id);
      if (run.trial_index) {  // a taken index writes nothing
        auto taken =
            exec(tx, "SELECT run_id FROM sweep_trials WHERE sweep_id = $1 AND trial_index = $2",
                 run.parent_id, *run.trial_index);
        if (!taken.empty())
          throw Error(ErrorKind::Conflict, "sweep '" + run.parent_id + "' already has trial " +
                                               std::to_string(*run.trial_index) + " (" +
                                               read_text(taken[0][0]) + ")");
      }
      if (parent.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + run.parent_id + "'");
      const RunStatus status = parse_run_status(read_text(parent[0][0]));
      if (run.trial_index && (is_terminal(status) || status == RunStatus::CancelRequested))
        throw Error(ErrorKind::Conflict, "sweep '" + run.parent_id + "' is " + to_string(status) +
                                             ": it takes no new trial");
    }
    // Only a missing name reaches the insert, so experiment ids stay dense as SQLite's (an
    // insert that conflicts would still take a number from the sequence).
    exec(tx,
         "INSERT INTO experiments(name, created_at) SELECT $1, $2::float8 "
         "WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE name = $1) "
         "ON CONFLICT (name) DO NOTHING",
         run.experiment, f8(r.created_at));
    exec(tx,
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute, "
         "tags, spec, code_snapshot, timeout, submitter_uid, submitter_name, properties, job_type, "
         "parent_id) "
         "SELECT $1, id, $2, $3, $4::float8, $5, $6, $7, $8, $9, $10::float8, $11::bigint, $12, "
         "$13, $14, $15 FROM experiments WHERE name = $16",
         r.id, r.display_name, to_string(RunStatus::NotStarted), f8(r.created_at), r.command,
         r.compute, map_json(r.tags), r.spec, r.code_snapshot, f8(r.timeout), r.submitter_uid,
         r.submitter_name, map_json(r.properties), run.job_type, non_empty(run.parent_id),
         run.experiment);
    add_history(tx, r.id, RunStatus::NotStarted, r.created_at);
    if (run.trial_index)
      exec(tx,
           "INSERT INTO sweep_trials(sweep_id, trial_index, run_id, parameters) "
           "VALUES ($1, $2, $3, $4)",
           run.parent_id, *run.trial_index, r.id,
           run.trial_parameters.empty() ? std::string("{}") : run.trial_parameters);
    for (const RunInput& i : run.inputs)
      exec(tx,
           "INSERT INTO run_inputs(run_id, input, dataset, version, manifest, mode) "
           "VALUES ($1, $2, $3, $4, $5, $6)",
           r.id, i.input, i.dataset, i.version, i.manifest, i.mode);
    if (run.queue) {
      exec(tx, "UPDATE runs SET status = $1 WHERE id = $2", to_string(RunStatus::Queued), r.id);
      add_history(tx, r.id, RunStatus::Queued, r.created_at);
    }
    if (run.start) {
      r.started_at = std::max(r.created_at, *run.start);  // never before it was made
      exec(tx, "UPDATE runs SET status = $1, started_at = $2::float8 WHERE id = $3",
           to_string(RunStatus::Running), f8(*r.started_at), r.id);
      add_history(tx, r.id, RunStatus::Running, *r.started_at);
    }
  });
  return r;
}

std::optional<RunRecord> PgStore::find_run(const std::string& id) {
  std::optional<RunRecord> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    std::string("SELECT ") + kRunColumns +
                        " FROM runs r JOIN experiments e ON e.id = r.experiment_id "
                        "WHERE r.id = $1",
                    id);
    out.reset();
    if (!res.empty()) out = read_run(res[0]);
  });
  return out;
}

std::vector<RunRecord> PgStore::list_runs(const RunFilter& f) {
  std::vector<std::string> params;
  auto param = [&](std::string value, const char* type) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size()) + "::" + type;
  };
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE true";
  if (f.experiment) sql += " AND e.name = " + param(*f.experiment, "text");
  if (f.status) sql += " AND r.status = " + param(to_string(*f.status), "text");
  if (f.compute) sql += " AND r.compute = " + param(*f.compute, "text");
  if (f.submitter_uid)
    sql += " AND (r.submitter_uid = " + param(std::to_string(*f.submitter_uid), "bigint") +
           " OR r.submitter_uid IS NULL)";
  if (f.parent_id) sql += " AND r.parent_id = " + param(*f.parent_id, "text");
  if (!f.any_status.empty()) {
    sql += " AND r.status IN (";
    for (size_t i = 0; i < f.any_status.size(); ++i)
      sql += (i ? ",'" : "'") + to_string(f.any_status[i]) + "'";  // fixed names: safe to inline
    sql += ")";
  }
  sql +=
      f.oldest_first ? " ORDER BY r.created_at, r.seq" : " ORDER BY r.created_at DESC, r.seq DESC";
  if (f.limit >= 0) sql += " LIMIT " + param(std::to_string(f.limit), "bigint");  // < 0: all
  std::vector<RunRecord> out;
  pool_.read([&](Tx& tx) {
    for (const std::string& p : params) check_text(p);
    auto res = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    out.clear();
    for (const auto& row : res) out.push_back(read_run(row));
  });
  return out;
}

std::vector<SweepTrial> PgStore::sweep_trials(const std::string& sweep_id) {
  std::vector<SweepTrial> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT trial_index, run_id, parameters FROM sweep_trials WHERE sweep_id = $1 "
                    "ORDER BY trial_index",
                    sweep_id);
    out.clear();
    for (const auto& row : res)
      out.push_back({sweep_id, row[0].as<int64_t>(), read_text(row[1]), read_text(row[2])});
  });
  return out;
}

std::vector<std::string> PgStore::experiments() {
  std::vector<std::string> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec("SELECT name FROM experiments ORDER BY name COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_text(row[0]));
  });
  return out;
}

void PgStore::set_status(const std::string& id, RunStatus status, double at,
                         std::optional<int> exit_code, const std::string& error) {
  pool_.write([&](Tx& tx) {
    auto cur = exec(tx, "SELECT status FROM runs WHERE id = $1 FOR NO KEY UPDATE", id);
    if (cur.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
    const RunStatus from = parse_run_status(read_text(cur[0][0]));
    if (!can_transition(from, status))
      throw Error(ErrorKind::Conflict, "run '" + id + "' cannot go from " + to_string(from) +
                                           " to " + to_string(status));
    std::optional<int64_t> code;
    if (exit_code) code = *exit_code;
    exec(tx,
         "UPDATE runs SET status = $1::text, "
         "started_at = CASE WHEN $1::text = 'Running' AND started_at IS NULL THEN $2::float8 "
         "ELSE started_at END, "
         "ended_at = CASE WHEN $3::boolean THEN $2::float8 ELSE ended_at END, "
         "exit_code = COALESCE($4::integer, exit_code), "
         "error = CASE WHEN $5::text <> '' THEN $5::text ELSE error END WHERE id = $6",
         to_string(status), f8(at), is_terminal(status), code, error, id);
    add_history(tx, id, status, at);
  });
}

std::vector<StatusChange> PgStore::status_history(const std::string& id) {
  std::vector<StatusChange> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, "SELECT status, at FROM run_status_history WHERE run_id = $1 ORDER BY seq", id);
    out.clear();
    for (const auto& row : res)
      out.push_back({parse_run_status(read_text(row[0])), read_f8(row[1])});
  });
  return out;
}

bool PgStore::request_cancel(const std::string& id,
                             const std::map<std::string, std::string>& properties, double at) {
  bool requested = false;
  pool_.write([&](Tx& tx) {
    requested = false;
    auto cur = exec(tx, "SELECT status, properties FROM runs WHERE id = $1 FOR NO KEY UPDATE", id);
    if (cur.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
    const RunStatus from = parse_run_status(read_text(cur[0][0]));
    auto all = json_map(read_text(cur[0][1]));
    if (!can_transition(from, RunStatus::CancelRequested)) return;
    for (const auto& [k, v] : properties) all.emplace(k, v);  // a value already set stays
    exec(tx, "UPDATE runs SET status = $1, properties = $2 WHERE id = $3",
         to_string(RunStatus::CancelRequested), map_json(all), id);
    add_history(tx, id, RunStatus::CancelRequested, at);
    requested = true;
  });
  return requested;
}

void PgStore::set_process(const std::string& id, int64_t pid, int64_t pid_start,
                          int64_t agent_pid) {
  pool_.write([&](Tx& tx) {
    auto res = exec(tx, "UPDATE runs SET pid = $1, pid_start = $2, agent_pid = $3 WHERE id = $4",
                    pid, pid_start, agent_pid, id);
    if (changed(res) == 0) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
  });
}

void PgStore::set_tags(const std::string& id, const std::map<std::string, std::string>& tags) {
  pool_.write([&](Tx& tx) {
    lock_run(tx, id);
    merge_tags(tx, id, tags);
  });
}

void PgStore::add_properties(const std::string& id,
                             const std::map<std::string, std::string>& properties) {
  pool_.write([&](Tx& tx) {
    auto cur = exec(tx, "SELECT properties FROM runs WHERE id = $1 FOR NO KEY UPDATE", id);
    if (cur.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
    auto all = json_map(read_text(cur[0][0]));
    for (const auto& [k, v] : properties) {
      auto [it, added] = all.emplace(k, v);
      if (!added && it->second != v)
        throw Error(ErrorKind::Conflict, "run '" + id + "': property '" + k + "' is already '" +
                                             it->second + "' (properties are set once)");
    }
    exec(tx, "UPDATE runs SET properties = $1 WHERE id = $2", map_json(all), id);
  });
}

void PgStore::merge_tags(Tx& tx, const std::string& id,
                         const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return;
  auto cur = exec(tx, "SELECT tags FROM runs WHERE id = $1 FOR NO KEY UPDATE", id);
  auto all = json_map(read_text(cur[0][0]));
  for (const auto& [k, v] : tags) all[k] = v;
  exec(tx, "UPDATE runs SET tags = $1 WHERE id = $2", map_json(all), id);
}

void PgStore::lock_run(Tx& tx, const std::string& id) {
  if (exec(tx, "SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE", id).empty())
    throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
}

void PgStore::add_history(Tx& tx, const std::string& id, RunStatus status, double at) {
  exec(tx, "INSERT INTO run_status_history(run_id, status, at) VALUES ($1, $2, $3::float8)", id,
       to_string(status), f8(at));
}

void lock_name(Tx& tx, const char* space, const std::string& name) {
  exec(tx, "SELECT pg_advisory_xact_lock(hashtext($1))", std::string(space) + ":" + name);
}

}  // namespace glia::platform::pg

namespace glia::platform::pg {

namespace {

// A search query's values as PostgreSQL's text parameters.
std::vector<std::string> search_params(const search_sql::Query& query) {
  std::vector<std::string> params;
  for (const search_sql::SqlValue& v : query.params) {
    if (const auto* t = std::get_if<std::string>(&v)) {
      check_text(*t);
      params.push_back(*t);
    } else if (const auto* d = std::get_if<double>(&v)) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", *d);
      params.push_back(buf);
    } else {
      params.push_back(std::to_string(std::get<int64_t>(v)));
    }
  }
  return params;
}

}  // namespace

int64_t PgStore::count_runs(const RunSearch& q) {
  const search_sql::Query query = search_sql::build_count(q, true);
  const std::vector<std::string> params = search_params(query);
  int64_t count = 0;
  pool_.read([&](Tx& tx) {
    count =
        tx.exec_params(query.sql, pqxx::prepare::make_dynamic_params(params))[0][0].as<int64_t>();
  });
  return count;
}

RunSearchPage PgStore::search_runs(const RunSearch& q) {
  // One read transaction per part (a page led by a metric may need two).
  return search_sql::search(
      q, true, kRunColumns,
      [&](const search_sql::Query& query, std::vector<search_sql::Row>& rows) {
        const std::vector<std::string> params = search_params(query);
        constexpr int kFirst = 23;  // after kRunColumns
        const int keys = static_cast<int>(query.numeric_keys.size());
        const size_t before = rows.size();
        pool_.read([&](Tx& tx) {
          auto res = tx.exec_params(query.sql, pqxx::prepare::make_dynamic_params(params));
          rows.resize(before);  // a retried transaction starts over
          for (const auto& r : res) {
            search_sql::Row row{
                {read_run(r), r[kFirst].as<int64_t>(), r[kFirst + 1].as<int>() != 0}, {}, 0};
            for (int k = 0; k < keys; ++k) {
              const auto& f = r[kFirst + 2 + k];
              if (f.is_null())
                row.key.emplace_back();
              else if (query.numeric_keys[k])
                row.key.emplace_back(read_f8(f));
              else
                row.key.emplace_back(read_text(f));
            }
            row.start = read_f8(r[kFirst + 2 + keys]);
            rows.push_back(std::move(row));
          }
        });
      });
}

}  // namespace glia::platform::pg

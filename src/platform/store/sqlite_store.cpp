// The embedded store (runs and their status history): SQLite in WAL mode, one transaction per
// write, versioned migrations.
#include "store/sqlite_store.hpp"
#include "store/new_run.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "store/migrations.hpp"
#include "store/run_search_sql.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kRunColumns =
    "r.id, e.name, r.display_name, r.status, r.created_at, r.started_at, r.ended_at, r.command, "
    "r.compute, r.exit_code, r.error, r.tags, r.spec, r.code_snapshot, r.timeout, r.pid, "
    "r.pid_start, r.agent_pid, r.submitter_uid, r.submitter_name, r.properties, r.job_type, "
    "COALESCE(r.parent_id, '')";

std::optional<int64_t> opt_int(const Stmt& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.int64(col);
}

RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.id = s.text(0);
  r.experiment = s.text(1);
  r.display_name = s.text(2);
  r.status = parse_run_status(s.text(3));
  r.created_at = s.real(4);
  if (!s.is_null(5)) r.started_at = s.real(5);
  if (!s.is_null(6)) r.ended_at = s.real(6);
  r.command = s.text(7);
  r.compute = s.text(8);
  if (!s.is_null(9)) r.exit_code = static_cast<int>(s.int64(9));
  r.error = s.text(10);
  r.tags = nlohmann::json::parse(s.text(11)).get<std::map<std::string, std::string>>();
  r.spec = s.text(12);
  r.code_snapshot = s.text(13);
  if (!s.is_null(14)) r.timeout = s.real(14);
  r.pid = opt_int(s, 15);
  r.pid_start = opt_int(s, 16);
  r.agent_pid = opt_int(s, 17);
  r.submitter_uid = opt_int(s, 18);
  r.submitter_name = s.text(19);
  r.properties = nlohmann::json::parse(s.text(20)).get<std::map<std::string, std::string>>();
  r.job_type = s.text(21);
  r.parent_id = s.text(22);
  return r;
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : db_(path) {
  migrate();
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  s.step();
  return static_cast<int>(s.int64(0));
}

RunRecord SqliteStore::create_run(const NewRun& run) {
  RunRecord r = new_run_record(run);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  r.created_at = now_seconds();
  if (run.trial_index) {  // first: a taken index writes nothing
    Stmt taken(db_, "SELECT run_id FROM sweep_trials WHERE sweep_id = ? AND trial_index = ?");
    taken.bind(1, run.parent_id).bind(2, *run.trial_index);
    if (taken.step())
      throw Error(ErrorKind::Conflict, "sweep '" + run.parent_id + "' already has trial " +
                                           std::to_string(*run.trial_index) + " (" + taken.text(0) +
                                           ")");
  }
  if (!run.parent_id.empty()) {
    Stmt parent(db_, "SELECT status FROM runs WHERE id = ?");
    parent.bind(1, run.parent_id);
    if (!parent.step()) throw Error(ErrorKind::NotFound, "unknown run '" + run.parent_id + "'");
    const RunStatus status = parse_run_status(parent.text(0));
    if (run.trial_index && (is_terminal(status) || status == RunStatus::CancelRequested))
      throw Error(ErrorKind::Conflict, "sweep '" + run.parent_id + "' is " + to_string(status) +
                                           ": it takes no new trial");
  }
  Stmt(db_, "INSERT OR IGNORE INTO experiments(name, created_at) VALUES (?, ?)")
      .bind(1, run.experiment)
      .bind(2, r.created_at)
      .run();
  Stmt(db_,
       "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute, "
       "tags, spec, code_snapshot, timeout, submitter_uid, submitter_name, properties, job_type, "
       "parent_id) "
       "SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM experiments WHERE name = ?")
      .bind(1, r.id)
      .bind(2, r.display_name)
      .bind(3, to_string(RunStatus::NotStarted))
      .bind(4, r.created_at)
      .bind(5, r.command)
      .bind(6, r.compute)
      .bind(7,
            nlohmann::json(r.tags).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(8, r.spec)
      .bind(9, r.code_snapshot)
      .bind(10, r.timeout)
      .bind(11, r.submitter_uid)
      .bind(12, r.submitter_name)
      .bind(13, nlohmann::json(r.properties)
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(14, run.job_type)
      .bind(15, run.parent_id.empty() ? std::optional<std::string>() : run.parent_id)
      .bind(16, run.experiment)
      .run();
  add_history(r.id, RunStatus::NotStarted, r.created_at);
  if (run.trial_index) {
    Stmt(db_,
         "INSERT INTO sweep_trials(sweep_id, trial_index, run_id, parameters) VALUES (?,?,?,?)")
        .bind(1, run.parent_id)
        .bind(2, *run.trial_index)
        .bind(3, r.id)
        .bind(4, run.trial_parameters.empty() ? std::string("{}") : run.trial_parameters)
        .run();
  }
  if (!run.inputs.empty()) {
    Stmt ins(db_,
             "INSERT INTO run_inputs(run_id, input, dataset, version, manifest, mode) "
             "VALUES (?,?,?,?,?,?)");
    for (const RunInput& i : run.inputs) {
      ins.bind(1, r.id).bind(2, i.input).bind(3, i.dataset).bind(4, i.version);
      ins.bind(5, i.manifest).bind(6, i.mode);
      ins.run();
    }
  }
  if (run.queue) {
    r.status = RunStatus::Queued;
    Stmt(db_, "UPDATE runs SET status = ? WHERE id = ?")
        .bind(1, to_string(r.status))
        .bind(2, r.id)
        .run();
    add_history(r.id, RunStatus::Queued, r.created_at);
  }
  if (run.start) {
    r.started_at = std::max(r.created_at, *run.start);  // never before it was made
    Stmt(db_, "UPDATE runs SET status = ?, started_at = ? WHERE id = ?")
        .bind(1, to_string(RunStatus::Running))
        .bind(2, *r.started_at)
        .bind(3, r.id)
        .run();
    add_history(r.id, RunStatus::Running, *r.started_at);
  }
  tx.commit();
  return r;
}

std::optional<RunRecord> SqliteStore::find_run(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kRunColumns +
                  " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRecord> SqliteStore::list_runs(const RunFilter& f) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE 1=1";
  if (f.experiment) sql += " AND e.name = ?1";
  if (f.status) sql += " AND r.status = ?2";
  if (f.compute) sql += " AND r.compute = ?4";
  if (f.submitter_uid) sql += " AND (r.submitter_uid = ?5 OR r.submitter_uid IS NULL)";
  if (f.parent_id) sql += " AND r.parent_id = ?6";
  if (!f.any_status.empty()) {
    sql += " AND r.status IN (";
    for (size_t i = 0; i < f.any_status.size(); ++i)
      sql += (i ? ",'" : "'") + to_string(f.any_status[i]) + "'";  // fixed names: safe to inline
    sql += ")";
  }
  sql += f.oldest_first ? " ORDER BY r.created_at, r.rowid"
                        : " ORDER BY r.created_at DESC, r.rowid DESC";
  sql += " LIMIT ?3";
  Stmt s(db_, sql);
  if (f.experiment) s.bind(1, *f.experiment);
  if (f.status) s.bind(2, to_string(*f.status));
  if (f.compute) s.bind(4, *f.compute);
  if (f.submitter_uid) s.bind(5, *f.submitter_uid);
  if (f.parent_id) s.bind(6, *f.parent_id);
  s.bind(3, f.limit);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<SweepTrial> SqliteStore::sweep_trials(const std::string& sweep_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT trial_index, run_id, parameters FROM sweep_trials WHERE sweep_id = ? "
         "ORDER BY trial_index");
  s.bind(1, sweep_id);
  std::vector<SweepTrial> out;
  while (s.step()) out.push_back({sweep_id, s.int64(0), s.text(1), s.text(2)});
  return out;
}

std::vector<std::string> SqliteStore::experiments() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT name FROM experiments ORDER BY name");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void SqliteStore::set_status(const std::string& id, RunStatus status, double at,
                             std::optional<int> exit_code, const std::string& error) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt cur(db_, "SELECT status FROM runs WHERE id = ?");
  cur.bind(1, id);
  if (!cur.step()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
  const RunStatus from = parse_run_status(cur.text(0));
  cur.reset();
  if (!can_transition(from, status))
    throw Error(ErrorKind::Conflict,
                "run '" + id + "' cannot go from " + to_string(from) + " to " + to_string(status));
  Stmt(db_,
       "UPDATE runs SET status = ?1, "
       "started_at = CASE WHEN ?1 = 'Running' AND started_at IS NULL THEN ?2 ELSE started_at "
       "END, ended_at = CASE WHEN ?3 THEN ?2 ELSE ended_at END, "
       "exit_code = COALESCE(?4, exit_code), error = CASE WHEN ?5 <> '' THEN ?5 ELSE error END "
       "WHERE id = ?6")
      .bind(1, to_string(status))
      .bind(2, at)
      .bind(3, static_cast<int64_t>(is_terminal(status)))
      .bind(4, exit_code)
      .bind(5, error)
      .bind(6, id)
      .run();
  add_history(id, status, at);
  tx.commit();
}

std::vector<StatusChange> SqliteStore::status_history(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT status, at FROM run_status_history WHERE run_id = ? ORDER BY seq");
  s.bind(1, id);
  std::vector<StatusChange> out;
  while (s.step()) out.push_back({parse_run_status(s.text(0)), s.real(1)});
  return out;
}

bool SqliteStore::request_cancel(const std::string& id,
                                 const std::map<std::string, std::string>& properties, double at) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt cur(db_, "SELECT status, properties FROM runs WHERE id = ?");
  cur.bind(1, id);
  if (!cur.step()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
  const RunStatus from = parse_run_status(cur.text(0));
  auto all = nlohmann::json::parse(cur.text(1)).get<std::map<std::string, std::string>>();
  cur.reset();
  if (!can_transition(from, RunStatus::CancelRequested)) return false;
  for (const auto& [k, v] : properties) all.emplace(k, v);  // a value already set stays
  Stmt(db_, "UPDATE runs SET status = ?, properties = ? WHERE id = ?")
      .bind(1, to_string(RunStatus::CancelRequested))
      .bind(2, nlohmann::json(all).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(3, id)
      .run();
  add_history(id, RunStatus::CancelRequested, at);
  tx.commit();
  return true;
}

void SqliteStore::set_process(const std::string& id, int64_t pid, int64_t pid_start,
                              int64_t agent_pid) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(id);
  Stmt(db_, "UPDATE runs SET pid = ?, pid_start = ?, agent_pid = ? WHERE id = ?")
      .bind(1, pid)
      .bind(2, pid_start)
      .bind(3, agent_pid)
      .bind(4, id)
      .run();
  tx.commit();
}

void SqliteStore::set_tags(const std::string& id, const std::map<std::string, std::string>& tags) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(id);
  merge_tags(id, tags);
  tx.commit();
}

void SqliteStore::add_properties(const std::string& id,
                                 const std::map<std::string, std::string>& properties) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(id);
  Stmt cur(db_, "SELECT properties FROM runs WHERE id = ?");
  cur.bind(1, id);
  cur.step();
  auto all = nlohmann::json::parse(cur.text(0)).get<std::map<std::string, std::string>>();
  cur.reset();
  for (const auto& [k, v] : properties) {
    auto [it, added] = all.emplace(k, v);
    if (!added && it->second != v)
      throw Error(ErrorKind::Conflict, "run '" + id + "': property '" + k + "' is already '" +
                                           it->second + "' (properties are set once)");
  }
  Stmt(db_, "UPDATE runs SET properties = ? WHERE id = ?")
      .bind(1, nlohmann::json(all).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(2, id)
      .run();
  tx.commit();
}

void SqliteStore::merge_tags(const std::string& id,
                             const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return;
  Stmt cur(db_, "SELECT tags FROM runs WHERE id = ?");
  cur.bind(1, id);
  cur.step();
  auto all = nlohmann::json::parse(cur.text(0)).get<std::map<std::string, std::string>>();
  cur.reset();
  for (const auto& [k, v] : tags) all[k] = v;
  Stmt(db_, "UPDATE runs SET tags = ? WHERE id = ?")
      .bind(1, nlohmann::json(all).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .bind(2, id)
      .run();
}

void SqliteStore::require_run(const std::string& id) {
  Stmt exists(db_, "SELECT 1 FROM runs WHERE id = ?");
  exists.bind(1, id);
  if (!exists.step()) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
}

void SqliteStore::migrate() {
  db_.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "applied_at REAL NOT NULL)");
  bool scrubbed = false;
  for (const auto& m : migrations()) {
    Transaction tx(db_);  // BEGIN IMMEDIATE: two processes opening at once apply it once
    Stmt done(db_, "SELECT 1 FROM schema_migrations WHERE version = ?");
    done.bind(1, static_cast<int64_t>(m.version));
    if (done.step()) continue;
    db_.exec(m.sql);
    if (m.then) m.then(db_);
    Stmt(db_, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")
        .bind(1, static_cast<int64_t>(m.version))
        .bind(2, now_seconds())
        .run();
    tx.commit();
    scrubbed = scrubbed || m.scrubs;
  }
  if (scrubbed) {
    // The rewritten values' old bytes may remain in pages written before (free pages, the
    // WAL): rebuild the file and empty the WAL so they are gone from the disk too.
    db_.exec("VACUUM");
    db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}

void SqliteStore::add_history(const std::string& id, RunStatus status, double at) {
  Stmt(db_, "INSERT INTO run_status_history(run_id, status, at) VALUES (?, ?, ?)")
      .bind(1, id)
      .bind(2, to_string(status))
      .bind(3, at)
      .run();
}

}  // namespace glia::platform::sqlite

namespace glia::platform {

std::string make_run_id(const std::string& experiment) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  char hex[9];
  {
    std::lock_guard lock(mu);
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rng() & 0xffffffffu));
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return experiment + "_" + std::to_string(seconds.count()) + "_" + hex;
}

RunRecord Store::get_run(const std::string& id) {
  auto r = find_run(id);
  if (!r) throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
  return *r;
}

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  return std::make_unique<sqlite::SqliteStore>(path);
}

}  // namespace glia::platform

namespace glia::platform::sqlite {

RunSearchPage SqliteStore::search_runs(const RunSearch& q) {
  std::lock_guard lock(mu_);
  return search_sql::search(
      q, false, kRunColumns,
      [&](const search_sql::Query& query, std::vector<search_sql::Row>& rows) {
        Stmt s(db_, query.sql);
        for (size_t i = 0; i < query.params.size(); ++i)
          std::visit([&](const auto& v) { s.bind(static_cast<int>(i + 1), v); }, query.params[i]);
        constexpr int kFirst = 23;  // after kRunColumns
        const int keys = static_cast<int>(query.numeric_keys.size());
        while (s.step()) {
          search_sql::Row row{{read_run(s), s.int64(kFirst), s.int64(kFirst + 1) != 0}, {}, 0};
          for (int k = 0; k < keys; ++k) {
            const int col = kFirst + 2 + k;
            if (s.is_null(col))
              row.key.emplace_back();
            else if (query.numeric_keys[k])
              row.key.emplace_back(s.real(col));
            else
              row.key.emplace_back(s.text(col));
          }
          row.start = s.real(kFirst + 2 + keys);
          rows.push_back(std::move(row));
        }
      });
}

int64_t SqliteStore::count_runs(const RunSearch& q) {
  std::lock_guard lock(mu_);
  const search_sql::Query query = search_sql::build_count(q, false);
  Stmt s(db_, query.sql);
  for (size_t i = 0; i < query.params.size(); ++i)
    std::visit([&](const auto& v) { s.bind(static_cast<int>(i + 1), v); }, query.params[i]);
  return s.step() ? s.int64(0) : 0;
}

}  // namespace glia::platform::sqlite

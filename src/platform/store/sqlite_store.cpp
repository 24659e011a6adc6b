// The embedded store: SQLite in WAL mode, one transaction per write, versioned migrations.
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_db.hpp"

namespace glia::platform {

namespace {

using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

constexpr const char* kRunColumns =
    "r.id, e.name, r.display_name, r.status, r.created_at, r.started_at, r.ended_at, r.command, "
    "r.compute, r.exit_code, r.error, r.tags";

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
  return r;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Azure-style run ids: <experiment>_<unix seconds>_<8 hex digits>.
std::string new_run_id(const std::string& experiment, double created_at) {
  static std::mt19937_64 rng{std::random_device{}()};
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rng() & 0xffffffffu));
  return experiment + "_" + std::to_string(static_cast<int64_t>(created_at)) + "_" + hex;
}

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const std::string& path) : db_(path) { migrate(); }

  int schema_version() override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    s.step();
    return static_cast<int>(s.int64(0));
  }

  RunRecord create_run(const NewRun& run) override {
    if (run.experiment.empty()) throw Error("a run needs an experiment name");
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    RunRecord r;
    r.created_at = now_seconds();
    r.id = new_run_id(run.experiment, r.created_at);
    r.experiment = run.experiment;
    r.display_name = run.display_name.empty() ? r.id : run.display_name;
    r.command = run.command;
    r.compute = run.compute;
    r.tags = run.tags;
    Stmt(db_, "INSERT OR IGNORE INTO experiments(name, created_at) VALUES (?, ?)")
        .bind(1, run.experiment)
        .bind(2, r.created_at)
        .run();
    Stmt(db_,
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute, "
         "tags) SELECT ?, id, ?, ?, ?, ?, ?, ? FROM experiments WHERE name = ?")
        .bind(1, r.id)
        .bind(2, r.display_name)
        .bind(3, to_string(RunStatus::NotStarted))
        .bind(4, r.created_at)
        .bind(5, r.command)
        .bind(6, r.compute)
        .bind(7, nlohmann::json(r.tags).dump())
        .bind(8, run.experiment)
        .run();
    add_history(r.id, RunStatus::NotStarted, r.created_at);
    tx.commit();
    return r;
  }

  std::optional<RunRecord> find_run(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, std::string("SELECT ") + kRunColumns +
                    " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_run(s);
  }

  std::vector<RunRecord> list_runs(const RunFilter& f) override {
    std::lock_guard lock(mu_);
    std::string sql = std::string("SELECT ") + kRunColumns +
                      " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE 1=1";
    if (f.experiment) sql += " AND e.name = ?1";
    if (f.status) sql += " AND r.status = ?2";
    sql += " ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?3";
    Stmt s(db_, sql);
    if (f.experiment) s.bind(1, *f.experiment);
    if (f.status) s.bind(2, to_string(*f.status));
    s.bind(3, f.limit);
    std::vector<RunRecord> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
  }

  std::vector<std::string> experiments() override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT name FROM experiments ORDER BY name");
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }

  void set_status(const std::string& id, RunStatus status, double at, std::optional<int> exit_code,
                  const std::string& error) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    Stmt cur(db_, "SELECT status FROM runs WHERE id = ?");
    cur.bind(1, id);
    if (!cur.step()) throw Error("unknown run '" + id + "'");
    const RunStatus from = parse_run_status(cur.text(0));
    cur.reset();
    if (!can_transition(from, status))
      throw Error("run '" + id + "' cannot go from " + to_string(from) + " to " +
                  to_string(status));
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

  std::vector<StatusChange> status_history(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT status, at FROM run_status_history WHERE run_id = ? ORDER BY seq");
    s.bind(1, id);
    std::vector<StatusChange> out;
    while (s.step()) out.push_back({parse_run_status(s.text(0)), s.real(1)});
    return out;
  }

  void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) override {
    if (points.empty()) return;
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    Stmt exists(db_, "SELECT 1 FROM runs WHERE id = ?");
    exists.bind(1, run_id);
    if (!exists.step()) throw Error("unknown run '" + run_id + "'");
    exists.reset();
    Stmt ins(db_, "INSERT INTO metrics(run_id, name, step, value, wall_time) VALUES (?,?,?,?,?)");
    Stmt latest(db_,
                "INSERT INTO metric_latest(run_id, name, step, value, wall_time, count) "
                "VALUES (?1,?2,?3,?4,?5,1) ON CONFLICT(run_id, name) DO UPDATE SET "
                "step = ?3, value = ?4, wall_time = ?5, count = count + 1");
    for (const MetricPoint& p : points) {
      if (p.name.empty()) throw Error("run '" + run_id + "': a metric needs a name");
      for (Stmt* s : {&ins, &latest}) {
        s->bind(1, run_id).bind(2, p.name).bind(3, p.step).bind(4, p.value).bind(5, p.wall_time);
        s->run();
      }
    }
    tx.commit();
  }

  std::vector<MetricPoint> metric_series(const std::string& run_id,
                                         const std::string& name) override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND name = ? "
           "ORDER BY step, seq");
    s.bind(1, run_id).bind(2, name);
    std::vector<MetricPoint> out;
    while (s.step()) out.push_back({name, s.int64(0), s.real(1), s.real(2)});
    return out;
  }

  std::map<std::string, MetricPoint> latest_metrics(const std::string& run_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT name, step, value, wall_time FROM metric_latest WHERE run_id = ?");
    s.bind(1, run_id);
    std::map<std::string, MetricPoint> out;
    while (s.step()) out[s.text(0)] = {s.text(0), s.int64(1), s.real(2), s.real(3)};
    return out;
  }

 private:
  void migrate() {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_at REAL NOT NULL)");
    for (const auto& m : sqlite::migrations()) {
      Transaction tx(db_);  // BEGIN IMMEDIATE: two processes opening at once apply it once
      Stmt done(db_, "SELECT 1 FROM schema_migrations WHERE version = ?");
      done.bind(1, static_cast<int64_t>(m.version));
      if (done.step()) continue;
      db_.exec(m.sql);
      Stmt(db_, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")
          .bind(1, static_cast<int64_t>(m.version))
          .bind(2, now_seconds())
          .run();
      tx.commit();
    }
  }

  void add_history(const std::string& id, RunStatus status, double at) {
    Stmt(db_, "INSERT INTO run_status_history(run_id, status, at) VALUES (?, ?, ?)")
        .bind(1, id)
        .bind(2, to_string(status))
        .bind(3, at)
        .run();
  }

  std::mutex mu_;
  Db db_;
};

}  // namespace

RunRecord Store::get_run(const std::string& id) {
  auto r = find_run(id);
  if (!r) throw Error("unknown run '" + id + "'");
  return *r;
}

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace glia::platform

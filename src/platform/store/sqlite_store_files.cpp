// The SQLite store's run files (paths in a run's history → artifact-store blobs) and compute
// targets.
#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

ComputeTarget read_compute(const Stmt& s) {
  return {s.text(0), s.text(1), s.int64(2), s.text(3), s.real(4)};
}

void check_compute(const ComputeTarget& t) {
  if (t.type != "local")
    throw Error("compute '" + t.name + "': unknown type '" + t.type + "' (expected: local)");
  if (t.max_concurrent < 1)
    throw Error("compute '" + t.name + "': max_concurrent must be at least 1");
}

bool compute_exists(Db& db, const std::string& name) {
  Stmt s(db, "SELECT 1 FROM compute_targets WHERE name = ?");
  s.bind(1, name);
  return s.step();
}

}  // namespace

void SqliteStore::insert_files(const std::string& run_id, const std::vector<RunFile>& files) {
  if (files.empty()) return;
  Stmt ins(db_,
           "INSERT INTO run_files(run_id, path, sha256, size, created_at) VALUES (?1,?2,?3,?4,?5) "
           "ON CONFLICT(run_id, path) DO UPDATE SET sha256 = ?3, size = ?4, created_at = ?5");
  for (const RunFile& f : files) {
    if (f.path.empty()) throw Error("run '" + run_id + "': a file needs a path");
    ins.bind(1, run_id).bind(2, f.path).bind(3, f.sha256).bind(4, f.size).bind(5, f.created_at);
    ins.run();
  }
}

void SqliteStore::add_run_files(const std::string& run_id, const std::vector<RunFile>& files) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(run_id);
  insert_files(run_id, files);
  tx.commit();
}

std::vector<RunFile> SqliteStore::run_files(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT path, sha256, size, created_at FROM run_files WHERE run_id = ? ORDER BY path");
  s.bind(1, run_id);
  std::vector<RunFile> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.int64(2), s.real(3)});
  return out;
}

void SqliteStore::create_compute(const ComputeTarget& t) {
  check_compute(t);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (compute_exists(db_, t.name)) throw Error("compute '" + t.name + "' already exists");
  Stmt(db_,
       "INSERT INTO compute_targets(name, type, max_concurrent, description, created_at) "
       "VALUES (?,?,?,?,?)")
      .bind(1, t.name)
      .bind(2, t.type)
      .bind(3, t.max_concurrent)
      .bind(4, t.description)
      .bind(5, t.created_at > 0 ? t.created_at : now_seconds())
      .run();
  tx.commit();
}

void SqliteStore::update_compute(const ComputeTarget& t) {
  check_compute(t);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!compute_exists(db_, t.name)) throw Error("unknown compute '" + t.name + "'");
  Stmt(db_, "UPDATE compute_targets SET max_concurrent = ?, description = ? WHERE name = ?")
      .bind(1, t.max_concurrent)
      .bind(2, t.description)
      .bind(3, t.name)
      .run();
  tx.commit();
}

std::optional<ComputeTarget> SqliteStore::find_compute(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT name, type, max_concurrent, description, created_at FROM compute_targets "
         "WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_compute(s);
}

std::vector<ComputeTarget> SqliteStore::list_computes() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT name, type, max_concurrent, description, created_at FROM compute_targets "
         "ORDER BY name");
  std::vector<ComputeTarget> out;
  while (s.step()) out.push_back(read_compute(s));
  return out;
}

}  // namespace glia::platform::sqlite

namespace glia::platform {

ComputeTarget Store::get_compute(const std::string& name) {
  if (auto t = find_compute(name)) return *t;
  std::string known;
  for (const auto& t : list_computes()) known += (known.empty() ? "" : ", ") + t.name;
  throw Error("unknown compute '" + name + "' (known: " + known +
              "; create one with 'glia compute create --name " + name + "')");
}

}  // namespace glia::platform

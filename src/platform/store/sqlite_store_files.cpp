// The SQLite store's run files (paths in a run's history → artifact-store blobs).
#include "glia/error.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

void SqliteStore::insert_files(const std::string& run_id, const std::vector<RunFile>& files) {
  if (files.empty()) return;
  for (const RunFile& f : files)
    if (f.path.empty()) throw Error("run '" + run_id + "': a file needs a path");
  std::vector<std::string> existing;
  Stmt paths(db_, "SELECT path FROM run_files WHERE run_id = ?");
  paths.bind(1, run_id);
  while (paths.step()) existing.push_back(paths.text(0));
  check_run_file_tree(run_id, existing, files);  // in the transaction: nothing is half-written
  Stmt ins(db_,
           "INSERT INTO run_files(run_id, path, sha256, size, created_at) VALUES (?1,?2,?3,?4,?5) "
           "ON CONFLICT(run_id, path) DO UPDATE SET sha256 = ?3, size = ?4, created_at = ?5");
  for (const RunFile& f : files) {
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

}  // namespace glia::platform::sqlite

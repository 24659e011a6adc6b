// The PostgreSQL store's run files (paths in a run's history → artifact-store blobs).
#include "glia/error.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

void PgStore::insert_files(Tx& tx, const std::string& run_id, const std::vector<RunFile>& files) {
  if (files.empty()) return;
  for (const RunFile& f : files)
    if (f.path.empty()) throw Error("run '" + run_id + "': a file needs a path");
  // The run's row locked: two writers of one run's files see each other's paths (a file and a
  // folder of one name written at once would both pass a check made under READ COMMITTED).
  // FOR NO KEY UPDATE (lock_run), as every other writer of a run takes: FOR UPDATE would also
  // conflict with the FOR KEY SHARE of each foreign-key insert (metrics, params...) and could
  // deadlock with apply_tracking.
  lock_run(tx, run_id);
  std::vector<std::string> existing;
  for (const auto& row : exec(tx, "SELECT path FROM run_files WHERE run_id = $1", run_id))
    existing.push_back(read_text(row[0]));
  check_run_file_tree(run_id, existing, files);  // in the transaction: nothing is half-written
  for (const RunFile& f : files) {
    exec(tx,
         "INSERT INTO run_files(run_id, path, sha256, size, created_at) "
         "VALUES ($1, $2, $3, $4, $5::float8) ON CONFLICT (run_id, path) DO UPDATE SET "
         "sha256 = EXCLUDED.sha256, size = EXCLUDED.size, created_at = EXCLUDED.created_at",
         run_id, f.path, f.sha256, f.size, f8(f.created_at));
  }
}

void PgStore::add_run_files(const std::string& run_id, const std::vector<RunFile>& files) {
  pool_.write([&](Tx& tx) {
    if (exec(tx, "SELECT 1 FROM runs WHERE id = $1", run_id).empty())
      throw Error(ErrorKind::NotFound, "unknown run '" + run_id + "'");
    insert_files(tx, run_id, files);
  });
}

std::vector<RunFile> PgStore::run_files(const std::string& run_id) {
  std::vector<RunFile> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT path, sha256, size, created_at FROM run_files WHERE run_id = $1 "
                    "ORDER BY path COLLATE \"C\"",
                    run_id);
    out.clear();
    for (const auto& row : res)
      out.push_back({read_text(row[0]), read_text(row[1]), row[2].as<int64_t>(), read_f8(row[3])});
  });
  return out;
}

}  // namespace glia::platform::pg

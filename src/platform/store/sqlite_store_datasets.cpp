// The SQLite store's dataset versions and the run inputs that use them.
#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kColumns =
    "name, version, description, manifest, file_count, total_bytes, sources, created_at, "
    "created_by, archived";

DatasetVersion read_dataset(const Stmt& s) {
  DatasetVersion d;
  d.name = s.text(0);
  d.version = s.int64(1);
  d.description = s.text(2);
  d.manifest = s.text(3);
  d.file_count = s.int64(4);
  d.total_bytes = s.int64(5);
  d.sources = s.text(6);
  d.created_at = s.real(7);
  d.created_by = s.text(8);
  d.archived = s.int64(9) != 0;
  return d;
}

RunInput read_input(const Stmt& s) {
  return {s.text(0), s.text(1), s.text(2), s.int64(3), s.text(4), s.text(5)};
}

}  // namespace

DatasetVersion SqliteStore::create_dataset_version(const DatasetVersion& d, bool force_new,
                                                   bool* created) {
  if (d.name.empty()) throw Error("a dataset needs a name");
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // BEGIN IMMEDIATE: the version number is decided under the write lock
  Stmt newest(db_, std::string("SELECT ") + kColumns +
                       " FROM datasets WHERE name = ? ORDER BY version DESC LIMIT 1");
  newest.bind(1, d.name);
  int64_t next = 1;
  if (newest.step()) {
    DatasetVersion latest = read_dataset(newest);
    if (latest.manifest == d.manifest && !force_new) {
      if (created) *created = false;
      return latest;
    }
    next = latest.version + 1;
  }
  newest.reset();
  DatasetVersion out = d;
  out.version = next;
  out.created_at = d.created_at > 0 ? d.created_at : now_seconds();
  out.archived = false;
  Stmt(db_, std::string("INSERT INTO datasets(") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,0)")
      .bind(1, out.name)
      .bind(2, out.version)
      .bind(3, out.description)
      .bind(4, out.manifest)
      .bind(5, out.file_count)
      .bind(6, out.total_bytes)
      .bind(7, out.sources)
      .bind(8, out.created_at)
      .bind(9, out.created_by)
      .run();
  tx.commit();
  if (created) *created = true;
  return out;
}

std::optional<DatasetVersion> SqliteStore::find_dataset(const std::string& name,
                                                        std::optional<int64_t> version) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM datasets WHERE name = ?1 AND " +
                  (version ? "version = ?2" : "archived = 0 ORDER BY version DESC LIMIT 1"));
  s.bind(1, name);
  if (version) s.bind(2, *version);
  if (!s.step()) return std::nullopt;
  return read_dataset(s);
}

std::vector<DatasetVersion> SqliteStore::list_datasets() {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM datasets ORDER BY name, version");
  std::vector<DatasetVersion> out;
  while (s.step()) out.push_back(read_dataset(s));
  return out;
}

void SqliteStore::set_dataset_archived(const std::string& name, int64_t version, bool archived) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt s(db_, "UPDATE datasets SET archived = ? WHERE name = ? AND version = ?");
  s.bind(1, static_cast<int64_t>(archived)).bind(2, name).bind(3, version);
  s.run();
  if (sqlite3_changes(db_.handle()) == 0)
    throw Error(ErrorKind::NotFound,
                "unknown dataset version '" + name + ":" + std::to_string(version) + "'");
  tx.commit();
}

void SqliteStore::add_run_inputs(const std::vector<RunInput>& inputs) {
  if (inputs.empty()) return;
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt ins(db_,
           "INSERT INTO run_inputs(run_id, input, dataset, version, manifest, mode) "
           "VALUES (?,?,?,?,?,?)");
  for (const RunInput& i : inputs) {
    ins.bind(1, i.run_id).bind(2, i.input).bind(3, i.dataset).bind(4, i.version);
    ins.bind(5, i.manifest).bind(6, i.mode);
    ins.run();
  }
  tx.commit();
}

std::vector<RunInput> SqliteStore::run_inputs(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT run_id, input, dataset, version, manifest, mode FROM run_inputs "
         "WHERE run_id = ? ORDER BY input");
  s.bind(1, run_id);
  std::vector<RunInput> out;
  while (s.step()) out.push_back(read_input(s));
  return out;
}

std::vector<RunInput> SqliteStore::dataset_usage(const std::string& name, int64_t version) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT run_id, input, dataset, version, manifest, mode FROM run_inputs "
         "WHERE dataset = ? AND version = ? ORDER BY run_id");
  s.bind(1, name).bind(2, version);
  std::vector<RunInput> out;
  while (s.step()) out.push_back(read_input(s));
  return out;
}

}  // namespace glia::platform::sqlite

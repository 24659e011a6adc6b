// The PostgreSQL store's dataset versions and the run inputs that use them.
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kColumns =
    "name, version, description, manifest, file_count, total_bytes, sources, created_at, "
    "created_by, archived";

DatasetVersion read_dataset(const pqxx::row& s) {
  DatasetVersion d;
  d.name = read_text(s[0]);
  d.version = s[1].as<int64_t>();
  d.description = read_text(s[2]);
  d.manifest = read_text(s[3]);
  d.file_count = s[4].as<int64_t>();
  d.total_bytes = s[5].as<int64_t>();
  d.sources = read_text(s[6]);
  d.created_at = read_f8(s[7]);
  d.created_by = read_text(s[8]);
  d.archived = s[9].as<bool>();
  return d;
}

RunInput read_input(const pqxx::row& s) {
  return {read_text(s[0]),    read_text(s[1]), read_text(s[2]),
          s[3].as<int64_t>(), read_text(s[4]), read_text(s[5])};
}

}  // namespace

DatasetVersion PgStore::create_dataset_version(const DatasetVersion& d, bool force_new,
                                               bool* created) {
  if (d.name.empty()) throw Error("a dataset needs a name");
  DatasetVersion out;
  bool made = false;
  pool_.write([&](Tx& tx) {
    made = false;
    lock_name(tx, "dataset", d.name);  // the version number is decided under this lock
    auto newest = exec(tx,
                       std::string("SELECT ") + kColumns +
                           " FROM datasets WHERE name = $1 ORDER BY version DESC LIMIT 1",
                       d.name);
    int64_t next = 1;
    if (!newest.empty()) {
      DatasetVersion latest = read_dataset(newest[0]);
      if (latest.manifest == d.manifest && !force_new) {
        out = latest;
        return;
      }
      next = latest.version + 1;
    }
    out = d;
    out.version = next;
    out.created_at = d.created_at > 0 ? d.created_at : now_seconds();
    out.archived = false;
    exec(tx,
         std::string("INSERT INTO datasets(") + kColumns +
             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8::float8, $9, false)",
         out.name, out.version, out.description, out.manifest, out.file_count, out.total_bytes,
         out.sources, f8(out.created_at), out.created_by);
    made = true;
  });
  if (created) *created = made;
  return out;
}

std::optional<DatasetVersion> PgStore::find_dataset(const std::string& name,
                                                    std::optional<int64_t> version) {
  std::optional<DatasetVersion> out;
  pool_.read([&](Tx& tx) {
    const std::string sql =
        std::string("SELECT ") + kColumns + " FROM datasets WHERE name = $1 AND " +
        (version ? "version = $2" : "NOT archived ORDER BY version DESC LIMIT 1");
    auto res = version ? exec(tx, sql, name, *version) : exec(tx, sql, name);
    out.reset();
    if (!res.empty()) out = read_dataset(res[0]);
  });
  return out;
}

std::vector<DatasetVersion> PgStore::list_datasets() {
  std::vector<DatasetVersion> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec(std::string("SELECT ") + kColumns +
                       " FROM datasets ORDER BY name COLLATE \"C\", version");
    out.clear();
    for (const auto& row : res) out.push_back(read_dataset(row));
  });
  return out;
}

void PgStore::set_dataset_archived(const std::string& name, int64_t version, bool archived) {
  pool_.write([&](Tx& tx) {
    auto res = exec(tx, "UPDATE datasets SET archived = $1 WHERE name = $2 AND version = $3",
                    archived, name, version);
    if (changed(res) == 0)
      throw Error(ErrorKind::NotFound,
                  "unknown dataset version '" + name + ":" + std::to_string(version) + "'");
  });
}

void PgStore::add_run_inputs(const std::vector<RunInput>& inputs) {
  if (inputs.empty()) return;
  pool_.write([&](Tx& tx) {
    for (const RunInput& i : inputs)
      exec(tx,
           "INSERT INTO run_inputs(run_id, input, dataset, version, manifest, mode) "
           "VALUES ($1, $2, $3, $4, $5, $6)",
           i.run_id, i.input, i.dataset, i.version, i.manifest, i.mode);
  });
}

std::vector<RunInput> PgStore::run_inputs(const std::string& run_id) {
  std::vector<RunInput> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT run_id, input, dataset, version, manifest, mode FROM run_inputs "
                    "WHERE run_id = $1 ORDER BY input COLLATE \"C\"",
                    run_id);
    out.clear();
    for (const auto& row : res) out.push_back(read_input(row));
  });
  return out;
}

std::vector<RunInput> PgStore::dataset_usage(const std::string& name, int64_t version) {
  std::vector<RunInput> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT run_id, input, dataset, version, manifest, mode FROM run_inputs "
                    "WHERE dataset = $1 AND version = $2 ORDER BY run_id COLLATE \"C\"",
                    name, version);
    out.clear();
    for (const auto& row : res) out.push_back(read_input(row));
  });
  return out;
}

}  // namespace glia::platform::pg

// The SQLite store's model registry: model versions (migration 5), numbered per name from
// model_names so that a deleted version's number is never reused.
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kColumns =
    "name, version, description, manifest, file_count, total_bytes, run_id, source_path, tags, "
    "properties, created_at, created_by";

using StringMap = std::map<std::string, std::string>;

std::string to_json(const StringMap& m) {
  return nlohmann::json(m).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ModelVersion read_model(const Stmt& s) {
  ModelVersion m;
  m.name = s.text(0);
  m.version = s.int64(1);
  m.description = s.text(2);
  m.manifest = s.text(3);
  m.file_count = s.int64(4);
  m.total_bytes = s.int64(5);
  if (!s.is_null(6)) m.run_id = s.text(6);
  m.source_path = s.text(7);
  m.tags = nlohmann::json::parse(s.text(8)).get<StringMap>();
  m.properties = nlohmann::json::parse(s.text(9)).get<StringMap>();
  m.created_at = s.real(10);
  m.created_by = s.text(11);
  return m;
}

}  // namespace

ModelVersion SqliteStore::create_model_version(const ModelVersion& m) {
  if (m.name.empty()) throw Error("a model needs a name");
  if (m.manifest.empty()) throw Error("model '" + m.name + "' needs a manifest");
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // BEGIN IMMEDIATE: the version number is decided under the write lock
  if (m.run_id) require_run(*m.run_id);
  Stmt(db_,
       "INSERT INTO model_names(name, last_version) VALUES (?, 1) "
       "ON CONFLICT(name) DO UPDATE SET last_version = last_version + 1")
      .bind(1, m.name)
      .run();
  Stmt last(db_, "SELECT last_version FROM model_names WHERE name = ?");
  last.bind(1, m.name);
  last.step();
  ModelVersion out = m;
  out.version = last.int64(0);
  last.reset();
  out.created_at = m.created_at > 0 ? m.created_at : now_seconds();
  Stmt ins(db_,
           std::string("INSERT INTO models(") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, out.name)
      .bind(2, out.version)
      .bind(3, out.description)
      .bind(4, out.manifest)
      .bind(5, out.file_count)
      .bind(6, out.total_bytes);
  if (out.run_id)
    ins.bind(7, *out.run_id);
  else
    ins.bind_null(7);
  ins.bind(8, out.source_path)
      .bind(9, to_json(out.tags))
      .bind(10, to_json(out.properties))
      .bind(11, out.created_at)
      .bind(12, out.created_by)
      .run();
  tx.commit();
  return out;
}

std::optional<ModelVersion> SqliteStore::find_model(const std::string& name,
                                                    std::optional<int64_t> version) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM models WHERE name = ?1" +
                  (version ? " AND version = ?2" : " ORDER BY version DESC LIMIT 1"));
  s.bind(1, name);
  if (version) s.bind(2, *version);
  if (!s.step()) return std::nullopt;
  return read_model(s);
}

std::vector<ModelVersion> SqliteStore::list_models(const ModelFilter& f) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM models WHERE 1=1";
  std::vector<std::string> binds;
  if (f.name) {
    sql += " AND name = ?";
    binds.push_back(*f.name);
  }
  if (f.run_id) {
    sql += " AND run_id = ?";
    binds.push_back(*f.run_id);
  }
  for (const auto& [column, wanted] :
       {std::pair{"tags", &f.tags}, std::pair{"properties", &f.properties}})
    for (const auto& [key, value] : *wanted) {
      sql += std::string(" AND EXISTS (SELECT 1 FROM json_each(models.") + column +
             ") WHERE key = ?" + (value ? " AND value = ?)" : ")");
      binds.push_back(key);
      if (value) binds.push_back(*value);
    }
  sql += " ORDER BY name, version";
  std::lock_guard lock(mu_);
  Stmt s(db_, sql);
  for (size_t i = 0; i < binds.size(); ++i) s.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<ModelVersion> out;
  while (s.step()) out.push_back(read_model(s));
  return out;
}

void SqliteStore::delete_model_version(const std::string& name, int64_t version) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  refuse_model_in_use(db_, name, version);  // in this transaction: no endpoint starts using it
  Stmt s(db_, "DELETE FROM models WHERE name = ? AND version = ?");
  s.bind(1, name).bind(2, version);
  s.run();
  if (sqlite3_changes(db_.handle()) == 0)
    throw Error(ErrorKind::NotFound,
                "unknown model version '" + name + ":" + std::to_string(version) + "'");
  tx.commit();
}

}  // namespace glia::platform::sqlite

// The PostgreSQL store's model registry: model versions (migration 5), numbered per name from
// model_names so that a deleted version's number is never reused; tags and properties as JSONB.
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kColumns =
    "name, version, description, manifest, file_count, total_bytes, run_id, source_path, tags, "
    "properties, created_at, created_by";

ModelVersion read_model(const pqxx::row& s) {
  ModelVersion m;
  m.name = read_text(s[0]);
  m.version = s[1].as<int64_t>();
  m.description = read_text(s[2]);
  m.manifest = read_text(s[3]);
  m.file_count = s[4].as<int64_t>();
  m.total_bytes = s[5].as<int64_t>();
  if (!s[6].is_null()) m.run_id = read_text(s[6]);
  m.source_path = read_text(s[7]);
  m.tags = json_map(read_text(s[8]));
  m.properties = json_map(read_text(s[9]));
  m.created_at = read_f8(s[10]);
  m.created_by = read_text(s[11]);
  return m;
}

}  // namespace

ModelVersion PgStore::create_model_version(const ModelVersion& m) {
  if (m.name.empty()) throw Error("a model needs a name");
  if (m.manifest.empty()) throw Error("model '" + m.name + "' needs a manifest");
  ModelVersion out;
  pool_.write([&](Tx& tx) {
    if (m.run_id && exec(tx, "SELECT 1 FROM runs WHERE id = $1", *m.run_id).empty())
      throw Error(ErrorKind::NotFound, "unknown run '" + *m.run_id + "'");
    // The upsert locks the name's row: concurrent registrations get one number each.
    auto last = exec(
        tx,
        "INSERT INTO model_names(name, last_version) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE "
        "SET last_version = model_names.last_version + 1 RETURNING last_version",
        m.name);
    out = m;
    out.version = last[0][0].as<int64_t>();
    out.created_at = m.created_at > 0 ? m.created_at : now_seconds();
    exec(tx,
         std::string("INSERT INTO models(") + kColumns +
             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, "
             "$11::float8, $12)",
         out.name, out.version, out.description, out.manifest, out.file_count, out.total_bytes,
         out.run_id, out.source_path, map_json(out.tags), map_json(out.properties),
         f8(out.created_at), out.created_by);
  });
  return out;
}

std::optional<ModelVersion> PgStore::find_model(const std::string& name,
                                                std::optional<int64_t> version) {
  std::optional<ModelVersion> out;
  pool_.read([&](Tx& tx) {
    const std::string sql = std::string("SELECT ") + kColumns + " FROM models WHERE name = $1" +
                            (version ? " AND version = $2" : " ORDER BY version DESC LIMIT 1");
    auto res = version ? exec(tx, sql, name, *version) : exec(tx, sql, name);
    out.reset();
    if (!res.empty()) out = read_model(res[0]);
  });
  return out;
}

std::vector<ModelVersion> PgStore::list_models(const ModelFilter& f) {
  std::vector<std::string> params;
  auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size()) + "::text";
  };
  std::string sql = std::string("SELECT ") + kColumns + " FROM models WHERE true";
  if (f.name) sql += " AND name = " + param(*f.name);
  if (f.run_id) sql += " AND run_id = " + param(*f.run_id);
  for (const auto& [column, wanted] :
       {std::pair{"tags", &f.tags}, std::pair{"properties", &f.properties}})
    for (const auto& [key, value] : *wanted) {
      // Keys and values are parameters: quotes, dots and dollars are matched literally.
      if (value)
        sql += std::string(" AND ") + column + " @> jsonb_build_object(" + param(key) + ", " +
               param(*value) + ")";
      else
        sql += std::string(" AND ") + column + " ? " + param(key);
    }
  sql += " ORDER BY name COLLATE \"C\", version";
  std::vector<ModelVersion> out;
  pool_.read([&](Tx& tx) {
    for (const std::string& p : params) check_text(p);
    auto res = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    out.clear();
    for (const auto& row : res) out.push_back(read_model(row));
  });
  return out;
}

void PgStore::delete_model_version(const std::string& name, int64_t version) {
  pool_.write([&](Tx& tx) {
    // The version's row locked first: an endpoint being pointed at it (create_endpoint,
    // update_endpoint_settings hold it FOR KEY SHARE) is either seen below or finds it gone.
    exec(tx, "SELECT 1 FROM models WHERE name = $1 AND version = $2 FOR UPDATE", name, version);
    refuse_model_in_use(tx, name, version);
    auto res = exec(tx, "DELETE FROM models WHERE name = $1 AND version = $2", name, version);
    if (changed(res) == 0)
      throw Error(ErrorKind::NotFound,
                  "unknown model version '" + name + ":" + std::to_string(version) + "'");
  });
}

}  // namespace glia::platform::pg

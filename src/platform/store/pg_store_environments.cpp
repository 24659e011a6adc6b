// The PostgreSQL store's environment versions.
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kColumns =
    "name, version, description, spec, spec_hash, build_hash, source, source_kind, created_at, "
    "created_by, archived, anonymous";

EnvironmentVersion read_environment(const pqxx::row& s) {
  EnvironmentVersion e;
  e.name = read_text(s[0]);
  e.version = s[1].as<int64_t>();
  e.description = read_text(s[2]);
  e.spec = read_text(s[3]);
  e.spec_hash = read_text(s[4]);
  e.build_hash = read_text(s[5]);
  e.source = read_text(s[6]);
  e.source_kind = read_text(s[7]);
  e.created_at = read_f8(s[8]);
  e.created_by = read_text(s[9]);
  e.archived = s[10].as<bool>();
  e.anonymous = s[11].as<bool>();
  return e;
}

}  // namespace

EnvironmentVersion PgStore::create_environment_version(const EnvironmentVersion& e, bool* created) {
  if (e.name.empty()) throw Error("an environment needs a name");
  if (e.spec_hash.empty() || e.build_hash.empty())
    throw Error("environment '" + e.name + "': a version needs its spec and build hashes");
  EnvironmentVersion out;
  bool made = false;
  pool_.write([&](Tx& tx) {
    made = false;
    lock_name(tx, "environment", e.name);  // the version number is decided under this lock
    // The spec of the newest version @latest finds (not archived) is kept; else a new version.
    auto current = exec(tx,
                        std::string("SELECT ") + kColumns +
                            " FROM environments WHERE name = $1 AND NOT archived "
                            "ORDER BY version DESC LIMIT 1",
                        e.name);
    if (!current.empty()) {
      EnvironmentVersion latest = read_environment(current[0]);
      if (latest.spec_hash == e.spec_hash) {
        out = latest;
        return;
      }
    }
    auto highest =
        exec(tx, "SELECT COALESCE(MAX(version), 0) FROM environments WHERE name = $1", e.name);
    out = e;
    out.version = highest[0][0].as<int64_t>() + 1;
    out.created_at = e.created_at > 0 ? e.created_at : now_seconds();
    out.archived = false;
    exec(tx,
         std::string("INSERT INTO environments(") + kColumns +
             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8, $10, false, $11)",
         out.name, out.version, out.description, out.spec, out.spec_hash, out.build_hash,
         out.source, out.source_kind, f8(out.created_at), out.created_by, out.anonymous);
    made = true;
  });
  if (created) *created = made;
  return out;
}

std::optional<EnvironmentVersion> PgStore::find_environment(const std::string& name,
                                                            std::optional<int64_t> version) {
  std::optional<EnvironmentVersion> out;
  pool_.read([&](Tx& tx) {
    const std::string sql =
        std::string("SELECT ") + kColumns + " FROM environments WHERE name = $1 AND " +
        (version ? "version = $2" : "NOT archived ORDER BY version DESC LIMIT 1");
    auto res = version ? exec(tx, sql, name, *version) : exec(tx, sql, name);
    out.reset();
    if (!res.empty()) out = read_environment(res[0]);
  });
  return out;
}

std::vector<EnvironmentVersion> PgStore::list_environments() {
  std::vector<EnvironmentVersion> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec(std::string("SELECT ") + kColumns +
                       " FROM environments ORDER BY name COLLATE \"C\", version");
    out.clear();
    for (const auto& row : res) out.push_back(read_environment(row));
  });
  return out;
}

void PgStore::set_environment_archived(const std::string& name, int64_t version, bool archived) {
  pool_.write([&](Tx& tx) {
    auto res = exec(tx, "UPDATE environments SET archived = $1 WHERE name = $2 AND version = $3",
                    archived, name, version);
    if (changed(res) == 0)
      throw Error(ErrorKind::NotFound,
                  "unknown environment version '" + name + ":" + std::to_string(version) + "'");
  });
}

}  // namespace glia::platform::pg

// The SQLite store's environment versions.
#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kColumns =
    "name, version, description, spec, spec_hash, build_hash, source, source_kind, created_at, "
    "created_by, archived, anonymous";

EnvironmentVersion read_environment(const Stmt& s) {
  EnvironmentVersion e;
  e.name = s.text(0);
  e.version = s.int64(1);
  e.description = s.text(2);
  e.spec = s.text(3);
  e.spec_hash = s.text(4);
  e.build_hash = s.text(5);
  e.source = s.text(6);
  e.source_kind = s.text(7);
  e.created_at = s.real(8);
  e.created_by = s.text(9);
  e.archived = s.int64(10) != 0;
  e.anonymous = s.int64(11) != 0;
  return e;
}

}  // namespace

EnvironmentVersion SqliteStore::create_environment_version(const EnvironmentVersion& e,
                                                           bool* created) {
  if (e.name.empty()) throw Error("an environment needs a name");
  if (e.spec_hash.empty() || e.build_hash.empty())
    throw Error("environment '" + e.name + "': a version needs its spec and build hashes");
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // BEGIN IMMEDIATE: the version number is decided under the write lock
  // The spec of the newest version @latest finds (not archived) is kept; else a new version.
  Stmt current(db_, std::string("SELECT ") + kColumns +
                        " FROM environments WHERE name = ? AND archived = 0 "
                        "ORDER BY version DESC LIMIT 1");
  current.bind(1, e.name);
  if (current.step()) {
    EnvironmentVersion latest = read_environment(current);
    if (latest.spec_hash == e.spec_hash) {
      if (created) *created = false;
      return latest;
    }
  }
  current.reset();
  Stmt highest(db_, "SELECT MAX(version) FROM environments WHERE name = ?");
  highest.bind(1, e.name);
  int64_t next = 1;
  if (highest.step() && !highest.is_null(0)) next = highest.int64(0) + 1;
  highest.reset();
  EnvironmentVersion out = e;
  out.version = next;
  out.created_at = e.created_at > 0 ? e.created_at : now_seconds();
  out.archived = false;
  Stmt(db_,
       std::string("INSERT INTO environments(") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,0,?)")
      .bind(1, out.name)
      .bind(2, out.version)
      .bind(3, out.description)
      .bind(4, out.spec)
      .bind(5, out.spec_hash)
      .bind(6, out.build_hash)
      .bind(7, out.source)
      .bind(8, out.source_kind)
      .bind(9, out.created_at)
      .bind(10, out.created_by)
      .bind(11, static_cast<int64_t>(out.anonymous))
      .run();
  tx.commit();
  if (created) *created = true;
  return out;
}

std::optional<EnvironmentVersion> SqliteStore::find_environment(const std::string& name,
                                                                std::optional<int64_t> version) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM environments WHERE name = ?1 AND " +
                  (version ? "version = ?2" : "archived = 0 ORDER BY version DESC LIMIT 1"));
  s.bind(1, name);
  if (version) s.bind(2, *version);
  if (!s.step()) return std::nullopt;
  return read_environment(s);
}

std::vector<EnvironmentVersion> SqliteStore::list_environments() {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM environments ORDER BY name, version");
  std::vector<EnvironmentVersion> out;
  while (s.step()) out.push_back(read_environment(s));
  return out;
}

void SqliteStore::set_environment_archived(const std::string& name, int64_t version,
                                           bool archived) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt s(db_, "UPDATE environments SET archived = ? WHERE name = ? AND version = ?");
  s.bind(1, static_cast<int64_t>(archived)).bind(2, name).bind(3, version);
  s.run();
  if (sqlite3_changes(db_.handle()) == 0)
    throw Error(ErrorKind::NotFound,
                "unknown environment version '" + name + ":" + std::to_string(version) + "'");
  tx.commit();
}

}  // namespace glia::platform::sqlite

// The PostgreSQL store's migrations (pg_migrations.hpp), applied on open: all pending ones in one
// transaction under an advisory lock of the schema, so two processes opening at once apply each
// once and a failed one leaves the schema as it was. Also open_postgres_store.
#include "glia/error.hpp"
#include "store/pg_migrations.hpp"
#include "store/pg_store.hpp"
#include "store/scrub_environment.hpp"

namespace glia::platform::pg {

void scrub_recorded_environments(pqxx::transaction_base& tx) {
  std::vector<std::pair<std::string, std::string>> rewritten;  // run id → new spec
  for (const auto& row : tx.exec("SELECT id, spec FROM runs WHERE spec <> ''")) {
    const std::string id = read_text(row[0]);
    if (auto spec = scrubbed_spec(id, read_text(row[1]))) rewritten.emplace_back(id, *spec);
  }
  for (const auto& [id, spec] : rewritten)
    exec(tx, "UPDATE runs SET spec = $1 WHERE id = $2", spec, id);
}

void PgStore::migrate() {
  bool scrubbed = false;
  pool_.write([&](Tx& tx) {
    scrubbed = false;
    // One lock per schema (search_path may name another for another workspace or test).
    tx.exec("SELECT pg_advisory_xact_lock(hashtext('glia-migrations:' || current_schema()))");
    // Created only when missing: a role that may not create tables still opens a store made.
    if (tx.exec("SELECT to_regclass('schema_migrations')")[0][0].is_null())
      tx.exec(
          "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
          "applied_at DOUBLE PRECISION NOT NULL)");
    int applied =
        tx.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].as<int>();
    if (applied > migrations().back().version)
      throw Error(ErrorKind::Conflict,
                  "store '" + pool_.display() + "': its schema is at version " +
                      std::to_string(applied) + ", newer than this Glia knows (" +
                      std::to_string(migrations().back().version) + ")");
    for (const Migration& m : migrations()) {
      if (!exec(tx, "SELECT 1 FROM schema_migrations WHERE version = $1", m.version).empty())
        continue;
      tx.exec(m.sql);
      if (m.then) m.then(tx);
      exec(tx,
           "INSERT INTO schema_migrations(version, applied_at) "
           "VALUES ($1, EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION)",
           m.version);
      scrubbed = scrubbed || m.scrubs;
    }
  });
  if (scrubbed) {
    // Old row versions of the rewritten values stay in the table's pages until it is rewritten.
    pool_.autocommit([](Tx& tx) { tx.exec("VACUUM FULL runs"); });
  }
}

}  // namespace glia::platform::pg

namespace glia::platform {

std::unique_ptr<Store> open_postgres_store(const std::string& url, size_t connections) {
  postgres_url_has_password(url);  // a URL libpq cannot read is refused with libpq's reason
  return std::make_unique<pg::PgStore>(url, connections);
}

}  // namespace glia::platform

// PostgreSQL test schemas (pg_test_db.hpp).
#include "pg_test_db.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <pqxx/pqxx>

namespace glia::platform::testing_store {

std::optional<std::string> pg_test_url() {
  const char* url = std::getenv("GLIA_TEST_PG_URL");
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

std::string pg_schema_for(const std::filesystem::path& dir) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(dir.string()));
  return std::string("g") + hex;
}

std::string pg_url_with_schema(const std::string& schema) {
  const std::string url = pg_test_url().value_or("");
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

void pg_fresh_schema(const std::string& schema) {
  pqxx::connection c(*pg_test_url());
  pqxx::work tx(c);
  tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
  tx.exec("CREATE SCHEMA " + tx.quote_name(schema));
  tx.commit();
}

void pg_drop_schema(const std::string& schema) {
  pqxx::connection c(*pg_test_url());
  pqxx::work tx(c);
  tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
  tx.commit();
}

void pg_exec(const std::string& schema, const std::string& sql) {
  pqxx::connection c(pg_url_with_schema(schema));
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

}  // namespace glia::platform::testing_store

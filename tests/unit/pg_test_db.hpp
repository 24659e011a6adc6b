// PostgreSQL for the store contract (store_contract.hpp): when GLIA_TEST_PG_URL names a database
// (scripts/with-postgres.sh starts one), each test folder gets a schema of its own in it, derived
// from the folder, so tests are independent and reopening a folder reopens its data.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace glia::platform::testing_store {

/// $GLIA_TEST_PG_URL (a postgresql:// URL), or nullopt when unset or empty.
std::optional<std::string> pg_test_url();
/// The schema of a test folder ("g" and a hash of its path).
std::string pg_schema_for(const std::filesystem::path& dir);
/// The URL of the test database whose search_path is `schema` only.
std::string pg_url_with_schema(const std::string& schema);
/// Drops the schema with everything in it (if there) and creates it empty.
void pg_fresh_schema(const std::string& schema);
void pg_drop_schema(const std::string& schema);
/// Runs SQL (several statements) in the schema, outside the store: old schemas for migration tests.
void pg_exec(const std::string& schema, const std::string& sql);

}  // namespace glia::platform::testing_store

// Store::search_runs's SQL, shared by the SQLite and PostgreSQL stores: the query for a RunSearch
// (values bound, never spliced into the text), and its keyset page token.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "glia/platform/store.hpp"

namespace glia::platform::search_sql {

using SqlValue = std::variant<std::string, double, int64_t>;

/// The query: its text and its values ("?N" for SQLite, "$N::type" for PostgreSQL, N from 1).
/// Its columns: `run_columns` (count `run_column_count`), then the experiment id, deleted (0/1),
/// each order key (RunSearch::order), the start key; at most limit + 1 rows.
struct Query {
  std::string sql;
  std::vector<SqlValue> params;
  std::vector<bool> numeric_keys;  // per order key: a number (else text)
};
Query build(const RunSearch& q, bool postgres, const char* run_columns);

/// A row's sort key, as read back to make the next page's token.
using KeyValue = std::optional<std::variant<double, std::string>>;
std::string make_token(const RunSearch& q, const std::vector<KeyValue>& keys, double start,
                       const std::string& id);

}  // namespace glia::platform::search_sql

// Store::search_runs's SQL, shared by the SQLite and PostgreSQL stores: the query for a RunSearch
// (values bound, never spliced into the text), and its keyset page token.
#pragma once

#include <functional>
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
/// Which runs of an order led by a metric: all (`Any`, any other order), those with the metric
/// (`Present`: read in the index's order, metric_latest_by_name) or those without (`Missing`).
enum class Part { Any, Present, Missing };
/// The part a query for `q` starts with (Present or Missing when it is led by a metric).
Part first_part(const RunSearch& q);
/// `fetch` rows at most (the page's size + 1: one more tells a next page).
Query build(const RunSearch& q, bool postgres, const char* run_columns, Part part, int64_t fetch);

/// The query counting the runs `q` matches (its order, limit and page token aside): one row, one
/// column.
Query build_count(const RunSearch& q, bool postgres);

/// A row's sort key, as read back to make the next page's token.
using KeyValue = std::optional<std::variant<double, std::string>>;
std::string make_token(const RunSearch& q, const std::vector<KeyValue>& keys, double start,
                       const std::string& id);

/// A row read: the run, its sort key and start.
struct Row {
  SearchedRun run;
  std::vector<KeyValue> key;
  double start = 0;
};
/// Store::search_runs over a store's way of running a query (appending its rows): the page of
/// `q`, its parts queried in turn until the page and one more row are read.
RunSearchPage search(const RunSearch& q, bool postgres, const char* run_columns,
                     const std::function<void(const Query&, std::vector<Row>&)>& run);

}  // namespace glia::platform::search_sql

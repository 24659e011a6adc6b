// Store::search_runs's SQL (run_search_sql.hpp). Every sort key is a column of an inner query;
// the outer query pages by the last row's key (keyset: never OFFSET), runs without a key last.
#include "store/run_search_sql.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"

namespace glia::platform::search_sql {

namespace {

using nlohmann::json;

bool is_number_field(SearchField field, const std::string& key) {
  return field == SearchField::Metric ||
         (field == SearchField::Attribute && (key == "start_time" || key == "end_time"));
}

std::string field_name(SearchField field, const std::string& key) {
  switch (field) {
    case SearchField::Metric:
      return "metrics." + key;
    case SearchField::Param:
      return "params." + key;
    case SearchField::Tag:
      return "tags." + key;
    case SearchField::Attribute:
      break;
  }
  return "attributes." + key;
}

// An order's identity in its token: a token is used with the order it was made for.
std::string order_signature(const RunSearch& q) {
  json o = json::array();
  for (const RunOrder& r : q.order) o.push_back({static_cast<int>(r.field), r.key, r.ascending});
  return o.dump();
}

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(const std::string& s) {
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw Error("invalid page token (not one this server made)");
  };
  if (s.size() % 2) throw Error("invalid page token (not one this server made)");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2)
    out += static_cast<char>(nibble(s[i]) * 16 + nibble(s[i + 1]));
  return out;
}

// LIKE's pattern as SQLite's GLOB (case-sensitive): % → *, _ → ?, GLOB's own specials literal.
std::string like_to_glob(const std::string& like) {
  std::string out;
  for (char c : like) {
    if (c == '%')
      out += '*';
    else if (c == '_')
      out += '?';
    else if (c == '*' || c == '?' || c == '[')
      out += std::string("[") + c + "]";
    else
      out += c;
  }
  return out;
}

class Builder {
 public:
  explicit Builder(bool pg) : pg_(pg) {}

  std::string param(SqlValue v) {
    const char* type = std::holds_alternative<std::string>(v) ? "text"
                       : std::holds_alternative<double>(v)    ? "float8"
                                                              : "bigint";
    params.push_back(std::move(v));
    const std::string n = std::to_string(params.size());
    return pg_ ? "$" + n + "::" + type : "?" + n;
  }

  std::string tag(const std::string& key) {
    if (key == "mlflow.runName") return "r.display_name";
    if (pg_) return "(r.tags::jsonb ->> " + param(key) + ")";
    return "(SELECT j.value FROM json_each(r.tags) j WHERE j.key = " + param(key) + ")";
  }

  std::string millis(const std::string& seconds) {
    return pg_ ? "(round((" + seconds + " * 1000)::numeric)::float8)"
               : "ROUND(" + seconds + " * 1000)";
  }

  // The SQL of a field's value (NULL when the run has none).
  std::string value(SearchField field, const std::string& key) {
    switch (field) {
      case SearchField::Metric:  // NaN (SQLite keeps it as the text 'NaN') is no value
        return std::string("(SELECT ") +
               (pg_ ? "NULLIF(m.value, 'NaN'::float8)" : "NULLIF(m.value, 'NaN')") +
               " FROM metric_latest m WHERE m.run_id = r.id AND m.name = " + param(key) + ")";
      case SearchField::Param:
        return "(SELECT p.value FROM run_params p WHERE p.run_id = r.id AND p.key = " + param(key) +
               ")";
      case SearchField::Tag:
        return tag(key);
      case SearchField::Attribute:
        break;
    }
    if (key == "run_id") return "r.id";
    if (key == "run_name") return "r.display_name";
    if (key == "status") return "r.status";
    if (key == "user_id") return "COALESCE(" + tag("mlflow.user") + ", r.submitter_name)";
    if (key == "start_time") return millis("COALESCE(r.started_at, r.created_at)");
    if (key == "end_time") return millis("r.ended_at");
    throw Error("invalid attribute key '" + key +
                "' for a runs search (expected run_id, run_name, status, user_id, start_time, "
                "end_time)");
  }

  std::string condition(const RunCondition& c) {
    const bool number = is_number_field(c.field, c.key);
    auto refuse = [&](const char* expected) {
      return Error("invalid condition on " + field_name(c.field, c.key) + ": " + expected);
    };
    const char* ops[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};
    if (c.field == SearchField::Metric && c.op <= SearchOp::Ge && c.number) {
      // The runs whose latest value compares: a range of the name's index (metric_latest_by_name),
      // not a lookup per run. NaN is no value: it never compares.
      const char* nan = pg_ ? "'NaN'::float8" : "'NaN'";
      const std::string name = param(c.key);
      return std::string("r.id IN (SELECT ml.run_id FROM metric_latest ml WHERE ml.name = ") +
             name + " AND ml.value <> " + nan + " AND ml.value" + ops[static_cast<int>(c.op)] +
             param(*c.number) + ")";
    }
    const std::string v = value(c.field, c.key);
    switch (c.op) {
      case SearchOp::Eq:
      case SearchOp::Ne:
      case SearchOp::Lt:
      case SearchOp::Le:
      case SearchOp::Gt:
      case SearchOp::Ge: {
        const std::string op = ops[static_cast<int>(c.op)];
        if (number) {
          if (!c.number) throw refuse("compare with a number");
          return v + op + param(*c.number);
        }
        if (!c.text) throw refuse("compare with a quoted string");
        if (c.op != SearchOp::Eq && c.op != SearchOp::Ne)
          throw refuse("compare text by =, !=, LIKE, ILIKE, IN, NOT IN");
        return v + op + param(*c.text);
      }
      case SearchOp::Like:
      case SearchOp::ILike: {
        if (number || !c.text) throw refuse("LIKE and ILIKE take a quoted string on text");
        if (pg_)
          return v + (c.op == SearchOp::Like ? " LIKE " : " ILIKE ") + param(*c.text) +
                 " ESCAPE ''";
        // SQLite's LIKE folds ASCII case (ILIKE); GLOB is the case-sensitive LIKE.
        if (c.op == SearchOp::ILike) return v + " LIKE " + param(*c.text);
        return v + " GLOB " + param(like_to_glob(*c.text));
      }
      case SearchOp::In:
      case SearchOp::NotIn: {
        if (number) throw refuse("IN and NOT IN take a list of quoted strings on text");
        if (c.list.empty()) return c.op == SearchOp::In ? "1 = 0" : v + " IS NOT NULL";
        std::string out = v + (c.op == SearchOp::In ? " IN (" : " NOT IN (");
        for (size_t i = 0; i < c.list.size(); ++i) out += (i ? ", " : "") + param(c.list[i]);
        return out + ")";
      }
      case SearchOp::IsNull:
        return v + " IS NULL";
      case SearchOp::IsNotNull:
        return v + " IS NOT NULL";
    }
    throw refuse("a known operator");
  }

  std::vector<SqlValue> params;

 private:
  bool pg_;
};

}  // namespace

Part first_part(const RunSearch& q) {
  if (q.order.empty() || q.order[0].field != SearchField::Metric) return Part::Any;
  if (q.page_token.empty()) return Part::Present;
  try {
    const json t = json::parse(unhex(q.page_token));
    if (t.is_object() && t.contains("k") && t["k"].is_array() && !t["k"].empty() &&
        t["k"][0].is_null())
      return Part::Missing;
  } catch (const std::exception&) {
    // build() refuses it
  }
  return Part::Present;
}

Query build(const RunSearch& q, bool postgres, const char* run_columns, Part part, int64_t fetch) {
  if (q.limit < 1) throw Error("a runs search's page size must be at least 1");
  Builder b(postgres);
  Query out;
  const char* text_key = postgres ? " COLLATE \"C\"" : "";
  const char* nan = postgres ? "'NaN'::float8" : "'NaN'";
  std::string inner = std::string("SELECT ") + run_columns +
                      ", r.experiment_id AS search_experiment, CASE WHEN d.run_id IS NULL THEN 0 "
                      "ELSE 1 END AS search_deleted";
  for (size_t i = 0; i < q.order.size(); ++i) {
    const RunOrder& o = q.order[i];
    const bool number = is_number_field(o.field, o.key);
    out.numeric_keys.push_back(number);
    std::string value;
    if (i == 0 && part == Part::Present)
      value = "o.value";
    else if (i == 0 && part == Part::Missing)
      value = postgres ? "NULL::float8" : "NULL";
    else
      value = b.value(o.field, o.key) + (number ? "" : text_key);
    inner += ", " + value + " AS k" + std::to_string(i);
  }
  inner += ", COALESCE(r.started_at, r.created_at) AS search_start, r.id AS search_id";
  if (part == Part::Present) {
    // Driven by the metric's index in its order (SQLite: CROSS JOIN keeps that loop outermost).
    inner += postgres ? " FROM metric_latest o JOIN runs r ON r.id = o.run_id"
                      : " FROM metric_latest o CROSS JOIN runs r";
  } else {
    inner += " FROM runs r";
  }
  inner +=
      " JOIN experiments e ON e.id = r.experiment_id"
      " LEFT JOIN deleted_runs d ON d.run_id = r.id WHERE ";
  if (part == Part::Present) {
    inner += "o.name = " + b.param(q.order[0].key) + " AND o.value <> " + nan + " AND ";
    if (!postgres) inner += "r.id = o.run_id AND ";
  } else if (part == Part::Missing) {
    inner += "NOT EXISTS (SELECT 1 FROM metric_latest o WHERE o.run_id = r.id AND o.name = " +
             b.param(q.order[0].key) + " AND o.value <> " + nan + ") AND ";
  }
  inner += "r.experiment_id IN (";
  for (size_t i = 0; i < q.experiment_ids.size(); ++i)
    inner += (i ? ", " : "") + b.param(q.experiment_ids[i]);
  inner += q.experiment_ids.empty() ? "NULL)" : ")";
  if (q.lifecycle == RunLifecycle::Active) inner += " AND d.run_id IS NULL";
  if (q.lifecycle == RunLifecycle::Deleted) inner += " AND d.run_id IS NOT NULL";
  for (const RunCondition& c : q.conditions) inner += " AND " + b.condition(c);

  std::string sql = "SELECT * FROM (" + inner + ") s";
  if (!q.page_token.empty()) {
    json t;
    try {
      t = json::parse(unhex(q.page_token));
      if (!t.is_object() || t.at("o").get<std::string>() != order_signature(q) ||
          t.at("k").size() != q.order.size())
        throw Error("invalid page token (made for another order)");
      // Strictly after the token's row: built from the last key (the run id) outwards.
      std::string after =
          "s.search_id" + std::string(text_key) + " > " + b.param(t.at("i").get<std::string>());
      const double start = t.at("s").get<double>();
      after = "(s.search_start < " + b.param(start) + " OR (s.search_start = " + b.param(start) +
              " AND " + after + "))";
      for (size_t i = q.order.size(); i-- > 0;) {
        const json& k = t.at("k")[i];
        const std::string col = "s.k" + std::to_string(i);
        if (k.is_null()) {
          after = "(" + col + " IS NULL AND " + after + ")";
          continue;
        }
        SqlValue v =
            out.numeric_keys[i] ? SqlValue(k.get<double>()) : SqlValue(k.get<std::string>());
        const char* cmp = q.order[i].ascending ? " > " : " < ";
        after = "(" + col + " IS NULL OR " + col + cmp + b.param(v) + " OR (" + col + " = " +
                b.param(v) + " AND " + after + "))";
      }
      if (part == Part::Present) {
        // The same bound as a range on the index (the condition above is not one).
        const json& k = t.at("k")[0];
        if (!k.is_null())
          after += std::string(" AND s.k0") + (q.order[0].ascending ? " >= " : " <= ") +
                   b.param(k.get<double>());
      }
      sql += " WHERE " + after;
    } catch (const Error&) {
      throw;
    } catch (const std::exception&) {
      throw Error("invalid page token (not one this server made)");
    }
  }
  sql += " ORDER BY ";
  for (size_t i = 0; i < q.order.size(); ++i) {
    const std::string col = "s.k" + std::to_string(i);
    if (i > 0 || part == Part::Any) sql += "(" + col + " IS NULL), ";
    sql += col + (q.order[i].ascending ? " ASC, " : " DESC, ");
  }
  sql += "s.search_start DESC, s.search_id" + std::string(text_key) + " LIMIT " + b.param(fetch);
  out.sql = std::move(sql);
  out.params = std::move(b.params);
  return out;
}

Query build_count(const RunSearch& q, bool postgres) {
  Builder b(postgres);
  std::string sql =
      "SELECT COUNT(*) FROM runs r LEFT JOIN deleted_runs d ON d.run_id = r.id WHERE "
      "r.experiment_id IN (";
  for (size_t i = 0; i < q.experiment_ids.size(); ++i)
    sql += (i ? ", " : "") + b.param(q.experiment_ids[i]);
  sql += q.experiment_ids.empty() ? "NULL)" : ")";
  if (q.lifecycle == RunLifecycle::Active) sql += " AND d.run_id IS NULL";
  if (q.lifecycle == RunLifecycle::Deleted) sql += " AND d.run_id IS NOT NULL";
  for (const RunCondition& c : q.conditions) sql += " AND " + b.condition(c);
  Query out;
  out.sql = std::move(sql);
  out.params = std::move(b.params);
  return out;
}

std::string make_token(const RunSearch& q, const std::vector<KeyValue>& keys, double start,
                       const std::string& id) {
  json k = json::array();
  for (const KeyValue& v : keys) {
    if (!v)
      k.push_back(nullptr);
    else if (std::holds_alternative<double>(*v))
      k.push_back(std::get<double>(*v));
    else
      k.push_back(std::get<std::string>(*v));
  }
  return hex(json{{"o", order_signature(q)}, {"k", k}, {"s", start}, {"i", id}}.dump());
}

RunSearchPage search(const RunSearch& q, bool postgres, const char* run_columns,
                     const std::function<void(const Query&, std::vector<Row>&)>& run) {
  std::vector<Row> rows;
  const int64_t want = q.limit + 1;
  Part part = first_part(q);
  run(build(q, postgres, run_columns, part, want), rows);
  if (part == Part::Present && static_cast<int64_t>(rows.size()) < want) {
    RunSearch rest = q;  // then the runs without the metric, from their first
    rest.page_token.clear();
    run(build(rest, postgres, run_columns, Part::Missing, want - static_cast<int64_t>(rows.size())),
        rows);
  }
  RunSearchPage page;
  if (static_cast<int64_t>(rows.size()) > q.limit) {
    const Row& last = rows[static_cast<size_t>(q.limit - 1)];
    page.next_page_token = make_token(q, last.key, last.start, last.run.run.id);
    rows.resize(static_cast<size_t>(q.limit));
  }
  for (Row& r : rows) page.runs.push_back(std::move(r.run));
  return page;
}

}  // namespace glia::platform::search_sql

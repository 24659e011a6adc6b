// MLflow's /invocations format (mlflow_format.hpp).
#include "glia/serving/mlflow_format.hpp"

#include <unordered_map>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "json_out.hpp"
#include "json_rows.hpp"

namespace glia::serving {

namespace {

using simdjson::dom::element;

// A dataframe's rows: flat, one column per input value.
Signature flat(const Signature& sig) {
  Signature s = sig;
  s.input_shape = {sig.row_in()};
  return s;
}

Rows dataframe_split(element e, const Signature& sig, int64_t max_rows) {
  simdjson::dom::object o;
  if (e.get_object().get(o))
    throw Error("dataframe_split: expected {\"columns\": [...], \"data\": [[...], ...]}, got " +
                detail::type_words(e));
  detail::check_keys(o, "dataframe_split", {"columns", "data", "index"});
  element columns, data, index;
  if (!o.at_key("columns").get(columns)) {
    simdjson::dom::array c;
    if (columns.get_array().get(c))
      throw Error("dataframe_split.columns: expected an array of names, got " +
                  detail::type_words(columns));
    if (static_cast<int64_t>(c.size()) != sig.row_in())
      throw Error("dataframe_split.columns: expected " + std::to_string(sig.row_in()) +
                  " columns (one per input value), got " + std::to_string(c.size()));
  }
  if (o.at_key("data").get(data)) throw Error("dataframe_split: no \"data\"");
  Rows rows;
  detail::read_rows(data, "dataframe_split.data", flat(sig), max_rows, rows);
  if (!o.at_key("index").get(index)) {
    simdjson::dom::array i;
    if (index.get_array().get(i) || static_cast<int64_t>(i.size()) != rows.count)
      throw Error("dataframe_split.index: expected an array of " + std::to_string(rows.count) +
                  " labels (one per row)");
  }
  return rows;
}

Rows dataframe_records(element e, const Signature& sig, int64_t max_rows) {
  simdjson::dom::array a;
  if (e.get_array().get(a))
    throw Error("dataframe_records: expected an array of records, got " + detail::type_words(e));
  const int64_t n = static_cast<int64_t>(a.size());
  detail::check_row_count(n, "dataframe_records", max_rows);
  const int64_t width = sig.row_in();
  Rows rows;
  rows.count = n;
  rows.values.resize(static_cast<size_t>(n * width));
  std::unordered_map<std::string_view, int64_t> column;  // name -> position (the first record's)
  std::vector<char> seen(static_cast<size_t>(width));
  int64_t r = 0;
  for (element rec : a) {
    const std::string where = "dataframe_records[" + std::to_string(r) + "]";
    simdjson::dom::object o;
    if (rec.get_object().get(o))
      throw Error(where + ": expected a record {\"column\": value, ...}, got " +
                  detail::type_words(rec));
    if (static_cast<int64_t>(o.size()) != width)
      throw Error(where + ": expected " + std::to_string(width) +
                  " columns (one per input value), got " + std::to_string(o.size()));
    float* row = rows.values.data() + r * width;
    if (r == 0) {
      int64_t c = 0;
      for (auto field : o) {
        if (!column.emplace(field.key, c).second)
          throw Error(where + ": column " + quote_bytes(std::string(field.key)) + " twice");
        row[c] = detail::number_at(field.value, where + "." + escape_bytes(std::string(field.key)));
        ++c;
      }
    } else {
      std::fill(seen.begin(), seen.end(), 0);
      for (auto field : o) {
        const auto it = column.find(field.key);
        if (it == column.end())
          throw Error(where + ": column " + quote_bytes(std::string(field.key)) +
                      " is not one of the first record's");
        if (seen[static_cast<size_t>(it->second)]++)
          throw Error(where + ": column " + quote_bytes(std::string(field.key)) + " twice");
        row[it->second] =
            detail::number_at(field.value, where + "." + escape_bytes(std::string(field.key)));
      }
    }
    ++r;
  }
  return rows;
}

}  // namespace

Rows parse_invocations(std::string_view body, const Signature& sig, int64_t max_rows) {
  const detail::ParsedBody parsed(body);
  const element doc = parsed.root();
  simdjson::dom::object o;
  if (doc.get_object().get(o))
    throw Error(
        "request body: expected an object with one of dataframe_split, dataframe_records, "
        "instances or inputs, got " +
        detail::type_words(doc));
  detail::check_keys(o, "request body",
                     {"dataframe_split", "dataframe_records", "instances", "inputs", "params"});
  element params;
  if (!o.at_key("params").get(params)) {
    simdjson::dom::object p;
    if (params.type() != simdjson::dom::element_type::NULL_VALUE &&
        (params.get_object().get(p) || p.size() != 0))
      throw Error("params: this model takes no parameters (expected {} or none)");
  }
  const char* kinds[] = {"dataframe_split", "dataframe_records", "instances", "inputs"};
  const char* kind = nullptr;
  element e;
  for (const char* k : kinds) {
    element v;
    if (o.at_key(k).get(v)) continue;
    if (kind)
      throw Error(std::string("request body: both ") + kind + " and " + k +
                  " (expected exactly one)");
    kind = k;
    e = v;
  }
  if (!kind)
    throw Error(
        "request body: expected one of dataframe_split, dataframe_records, instances or inputs");
  const std::string which = kind;
  if (which == "dataframe_split") return dataframe_split(e, sig, max_rows);
  if (which == "dataframe_records") return dataframe_records(e, sig, max_rows);
  if (e.type() == simdjson::dom::element_type::OBJECT)
    throw Error(which +
                ": named tensors are not accepted (the model has one input): expected an array "
                "of rows");
  Rows rows;
  detail::read_rows(e, which, sig, max_rows, rows);
  return rows;
}

std::string invocations_reply(const float* outputs, int64_t rows, const Signature& sig) {
  const int64_t k = sig.row_out();
  std::string out;
  out.reserve(static_cast<size_t>(rows * (16 * k + 4) + 32));
  out += "{\"predictions\":[";
  for (int64_t r = 0; r < rows; ++r) {
    if (r) out += ',';
    detail::append_floats(out, outputs + r * k, k);
  }
  out += "]}";
  return out;
}

}  // namespace glia::serving

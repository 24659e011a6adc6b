// Request bodies into float32 rows (json_rows.hpp).
#include "json_rows.hpp"

#include <cfloat>
#include <cmath>

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::serving::detail {

namespace {

// A parser per thread keeps its buffers between requests, unless a large body grew them.
constexpr size_t kKeepCapacity = 256u << 10;

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

void drop_if_grown() {
  simdjson::dom::parser& parser = thread_parser();
  if (parser.capacity() > kKeepCapacity) parser = simdjson::dom::parser();
}

std::string shape_words(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void read_nested(simdjson::dom::element e, const std::string& where, const Shape& shape, size_t dim,
                 float*& out) {
  simdjson::dom::array a;
  if (e.get_array().get(a))
    throw Error(where + ": expected an array of " + std::to_string(shape[dim]) + ", got " +
                type_words(e));
  if (static_cast<int64_t>(a.size()) != shape[dim])
    throw Error(where + ": expected " + std::to_string(shape[dim]) + " items (the model's input " +
                "is " + shape_words(shape) + " per row), got " + std::to_string(a.size()));
  size_t i = 0;
  for (simdjson::dom::element v : a) {
    if (dim + 1 == shape.size()) {
      double d;
      if (!v.get_double().get(d) && std::fabs(d) <= FLT_MAX)
        *out++ = static_cast<float>(d);
      else
        *out++ = number_at(v, where + "[" + std::to_string(i) + "]");
    } else {
      read_nested(v, where + "[" + std::to_string(i) + "]", shape, dim + 1, out);
    }
    ++i;
  }
}

// The shape a nested row is read as: the input's, or the input's without its trailing 1s when
// the row nests that deep (28×28 images for a (28, 28, 1) input).
Shape nested_shape(simdjson::dom::element row, const Shape& shape) {
  size_t depth = 0;
  for (simdjson::dom::element e = row; e.type() == simdjson::dom::element_type::ARRAY; ++depth) {
    simdjson::dom::array a;
    if (e.get_array().get(a) || a.size() == 0 || a.at(0).get(e) || depth > shape.size()) break;
  }
  Shape squeezed = shape;
  while (squeezed.size() > 1 && squeezed.back() == 1) squeezed.pop_back();
  return depth != shape.size() && depth == squeezed.size() ? squeezed : shape;
}

}  // namespace

ParsedBody::ParsedBody(std::string_view body) {
  if (auto err = thread_parser().parse(body.data(), body.size()).get(root_)) {
    drop_if_grown();  // it may have grown before it failed
    throw Error(std::string("request body: not valid JSON (") + simdjson::error_message(err) + ")");
  }
}

ParsedBody::~ParsedBody() {
  drop_if_grown();
}

std::string type_words(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s)) s = {};
      return "the string " + quote_bytes(std::string(s.substr(0, 40)));
    }
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

float number_at(simdjson::dom::element v, const std::string& where) {
  double d;
  if (v.get_double().get(d))
    throw Error(where + ": expected a number, got " + type_words(v) +
                " (NaN and Infinity are not accepted)");
  if (!std::isfinite(d) || std::fabs(d) > FLT_MAX)
    throw Error(where + ": " + std::to_string(d) + " does not fit in float32");
  return static_cast<float>(d);
}

void check_row_count(int64_t rows, const std::string& what, int64_t max_rows) {
  if (rows < 1) throw Error(what + ": expected at least one row, got none");
  if (rows > max_rows)
    throw Error(what + ": " + std::to_string(rows) + " rows, more than the " +
                std::to_string(max_rows) + " a request may hold here (max_rows)");
}

void read_row(simdjson::dom::element row, const std::string& where, const Shape& shape,
              int64_t row_in, float*& out) {
  simdjson::dom::array a;
  if (row.get_array().get(a))
    throw Error(where + ": expected a row (an array of " + std::to_string(row_in) +
                " numbers), got " + type_words(row));
  // Flat: row_in numbers whatever the input's shape.
  simdjson::dom::element first;
  const bool flat = shape.size() <= 1 || (a.size() > 0 && !a.at(0).get(first) &&
                                          first.type() != simdjson::dom::element_type::ARRAY);
  if (!flat) return read_nested(row, where, nested_shape(row, shape), 0, out);
  if (static_cast<int64_t>(a.size()) != row_in)
    throw Error(where + ": expected " + std::to_string(row_in) + " numbers (the model's input" +
                (shape.size() > 1 ? " " + shape_words(shape) + " flattened" : std::string()) +
                "), got " + std::to_string(a.size()));
  size_t i = 0;
  for (simdjson::dom::element v : a) {
    double d;
    if (!v.get_double().get(d) && std::fabs(d) <= FLT_MAX)
      *out++ = static_cast<float>(d);
    else
      *out++ = number_at(v, where + "[" + std::to_string(i) + "]");
    ++i;
  }
}

void read_rows(simdjson::dom::element array, const std::string& what, const Signature& sig,
               int64_t max_rows, Rows& out) {
  simdjson::dom::array a;
  if (array.get_array().get(a))
    throw Error(what + ": expected an array of rows, got " + type_words(array));
  const int64_t rows = static_cast<int64_t>(a.size());
  check_row_count(rows, what, max_rows);
  const int64_t row_in = sig.row_in();
  const size_t start = out.values.size();
  out.values.resize(start + static_cast<size_t>(rows * row_in));
  float* p = out.values.data() + start;
  int64_t r = 0;
  for (simdjson::dom::element row : a) {
    read_row(row, what + "[" + std::to_string(r) + "]", sig.input_shape, row_in, p);
    ++r;
  }
  out.count += rows;
}

void check_keys(simdjson::dom::object object, const std::string& what,
                std::initializer_list<std::string_view> allowed) {
  for (auto field : object) {
    bool ok = false;
    for (std::string_view k : allowed) ok = ok || field.key == k;
    if (!ok) {
      std::string list;
      for (std::string_view k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
      throw Error(what + ": unknown key " + quote_bytes(std::string(field.key)) + " (expected " +
                  list + ")");
    }
  }
}

}  // namespace glia::serving::detail

// What the wire formats share (private to glia_serving): the request body parsed by simdjson
// (one parser per thread), numbers read into float32 rows with every refusal naming where it
// is, and the counts checked against the endpoint's limits.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "glia/serving/signature.hpp"

namespace glia::serving::detail {

/// `body` parsed by this thread's parser (the text and this object must outlive the elements
/// read from it). glia::Error "request body: not valid JSON (...)" when it is not JSON. A parser
/// grown by a large body is dropped when this object goes, so that idle connection threads do
/// not each keep the largest body they saw.
class ParsedBody {
 public:
  explicit ParsedBody(std::string_view body);
  ~ParsedBody();
  ParsedBody(const ParsedBody&) = delete;
  ParsedBody& operator=(const ParsedBody&) = delete;
  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::dom::element root_;
};

/// The JSON type of an element in words ("a string", "an object", ...), for messages.
std::string type_words(simdjson::dom::element e);

/// One number as float32: glia::Error naming `where` for a non-number, or a value outside
/// float32's finite range.
float number_at(simdjson::dom::element v, const std::string& where);

/// Appends the rows of `array` (named `what` in messages: "data", "instances") to `out`: each a
/// flat array of row_in numbers or, for a model taking a matrix or more, nested as its input
/// shape. Checks the count against 1..max_rows first.
void read_rows(simdjson::dom::element array, const std::string& what, const Signature& sig,
               int64_t max_rows, Rows& out);

/// Appends one row: flat (row_in numbers) or nested as `shape` (from dimension `dim`).
void read_row(simdjson::dom::element row, const std::string& where, const Shape& shape,
              int64_t row_in, float*& out);

/// glia::Error unless 1 <= rows <= max_rows (naming `what` and the limit).
void check_row_count(int64_t rows, const std::string& what, int64_t max_rows);

/// An object's keys must be among `allowed` (a glia::Error names the first that is not).
void check_keys(simdjson::dom::object object, const std::string& what,
                std::initializer_list<std::string_view> allowed);

}  // namespace glia::serving::detail

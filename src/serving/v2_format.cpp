// KServe v2 / Open Inference Protocol (v2_format.hpp).
#include "glia/serving/v2_format.hpp"

#include <cmath>
#include <functional>
#include <limits>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/version.hpp"
#include "json_out.hpp"
#include "json_rows.hpp"

namespace glia::serving {

namespace {

using simdjson::dom::element;

struct Datatype {
  std::string_view name;
  double lo, hi;  // integer types: the range; float types: 0, 0
};

constexpr Datatype kTypes[] = {
    {"FP32", 0, 0},
    {"FP64", 0, 0},
    {"INT8", -128.0, 127.0},
    {"INT16", -32768.0, 32767.0},
    {"INT32", -2147483648.0, 2147483647.0},
    {"INT64", -9223372036854775808.0, 9223372036854775807.0},
    {"UINT8", 0, 255.0},
    {"UINT16", 0, 65535.0},
    {"UINT32", 0, 4294967295.0},
    {"UINT64", 0, 18446744073709551615.0},
};

std::string sv(std::string_view s) {
  return std::string(s);
}

void check_parameters(element e, const std::string& where, bool output) {
  simdjson::dom::object o;
  if (e.get_object().get(o))
    throw Error(where + ": expected an object, got " + detail::type_words(e));
  for (auto f : o) {
    bool flag = true;
    if (output && f.key == "binary_data" && !f.value.get_bool().get(flag) && !flag) continue;
    throw Error(where + ": parameter " + quote_bytes(sv(f.key)) +
                " is not supported (replies are JSON; no parameters are taken)");
  }
}

// Reads the values of `data` (flat, or nested as `shape`) into `out` as float32.
void read_data(element data, const Shape& shape, const Datatype& type, Rows& out) {
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  out.values.resize(static_cast<size_t>(total));
  float* p = out.values.data();
  const bool integer = type.hi != 0;
  // The values in document order, checked for the type.
  auto take = [&](element v, const std::string& where) {
    const float f = detail::number_at(v, where);
    if (integer) {
      double d;
      if (v.get_double().get(d)) d = 0;
      if (v.type() == simdjson::dom::element_type::DOUBLE && std::trunc(d) != d)
        throw Error(where + ": expected a whole number for " + sv(type.name) + ", got " +
                    std::to_string(d));
      if (d < type.lo || d > type.hi)
        throw Error(where + ": " + std::to_string(d) + " is out of " + sv(type.name) + "'s range");
    }
    *p++ = f;
  };
  simdjson::dom::array a;
  if (data.get_array().get(a))
    throw Error("inputs[0].data: expected an array, got " + detail::type_words(data));
  element first;
  const bool nested =
      a.size() > 0 && !a.at(0).get(first) && first.type() == simdjson::dom::element_type::ARRAY;
  if (!nested) {
    if (static_cast<int64_t>(a.size()) != total)
      throw Error("inputs[0].data: expected " + std::to_string(total) +
                  " values (the product of shape), got " + std::to_string(a.size()));
    size_t i = 0;
    for (element v : a) take(v, "inputs[0].data[" + std::to_string(i++) + "]");
    return;
  }
  // Nested: each level's length is the shape's dimension there.
  std::function<void(element, size_t, const std::string&)> walk = [&](element e, size_t dim,
                                                                      const std::string& where) {
    simdjson::dom::array arr;
    if (dim == shape.size()) return take(e, where);
    if (e.get_array().get(arr) || static_cast<int64_t>(arr.size()) != shape[dim])
      throw Error(where + ": expected an array of " + std::to_string(shape[dim]) +
                  " (nested as shape)");
    size_t i = 0;
    for (element v : arr) walk(v, dim + 1, where + "[" + std::to_string(i++) + "]");
  };
  walk(data, 0, "inputs[0].data");
}

void append_shape(std::string& out, int64_t rows, const Shape& per) {
  out += '[';
  detail::append_int(out, rows);
  for (int64_t d : per) {
    out += ',';
    detail::append_int(out, d);
  }
  out += ']';
}

}  // namespace

V2Request parse_v2_request(std::string_view body, const Signature& sig, int64_t max_rows) {
  const detail::ParsedBody parsed(body);
  const element doc = parsed.root();
  simdjson::dom::object o;
  if (doc.get_object().get(o))
    throw Error("request body: expected an inference request {\"inputs\": [...]}, got " +
                detail::type_words(doc));
  detail::check_keys(o, "request body", {"id", "parameters", "inputs", "outputs"});
  V2Request r;
  element e;
  if (!o.at_key("id").get(e)) {
    std::string_view id;
    if (e.get_string().get(id)) throw Error("id: expected a string, got " + detail::type_words(e));
    r.id = sv(id);
  }
  if (!o.at_key("parameters").get(e)) check_parameters(e, "parameters", false);
  simdjson::dom::array inputs;
  if (o.at_key("inputs").get(e) || e.get_array().get(inputs))
    throw Error(
        "request body: expected \"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}]");
  if (inputs.size() != 1)
    throw Error("inputs: expected one input (" + quote_bytes(sig.input_name) + "), got " +
                std::to_string(inputs.size()));
  simdjson::dom::object in;
  if (inputs.at(0).get(e) || e.get_object().get(in))
    throw Error("inputs[0]: expected an object {\"name\", \"shape\", \"datatype\", \"data\"}");
  detail::check_keys(in, "inputs[0]", {"name", "shape", "datatype", "data", "parameters"});
  std::string_view name, datatype;
  if (in.at_key("name").get(e) || e.get_string().get(name))
    throw Error("inputs[0].name: expected a string (the model's input: " +
                quote_bytes(sig.input_name) + ")");
  if (name != sig.input_name)
    throw Error("inputs[0].name " + quote_bytes(sv(name)) + ": the model's input is " +
                quote_bytes(sig.input_name));
  if (in.at_key("datatype").get(e) || e.get_string().get(datatype))
    throw Error("inputs[0].datatype: expected a string such as \"FP32\"");
  const Datatype* type = nullptr;
  for (const Datatype& t : kTypes)
    if (t.name == datatype) type = &t;
  if (!type)
    throw Error("inputs[0].datatype " + quote_bytes(sv(datatype)) +
                ": expected FP32, FP64, INT8..INT64 or UINT8..UINT64");
  if (!in.at_key("parameters").get(e)) check_parameters(e, "inputs[0].parameters", false);
  simdjson::dom::array shape_json;
  if (in.at_key("shape").get(e) || e.get_array().get(shape_json))
    throw Error("inputs[0].shape: expected an array of dimensions [rows, ...]");
  Shape shape;
  for (element d : shape_json) {
    int64_t v;
    if (d.get_int64().get(v) || v < 0)
      throw Error("inputs[0].shape: expected whole numbers >= 0, got " + detail::type_words(d));
    shape.push_back(v);
  }
  if (shape.empty()) throw Error("inputs[0].shape: expected [rows, ...], got []");
  const Shape per(shape.begin() + 1, shape.end());
  if (per != sig.input_shape && per != Shape{sig.row_in()}) {
    std::string want = "[n";
    for (int64_t d : sig.input_shape) want += "," + std::to_string(d);
    throw Error("inputs[0].shape: expected " + want + "] (or [n," + std::to_string(sig.row_in()) +
                "]), the model's input with n rows");
  }
  detail::check_row_count(shape[0], "inputs[0]", max_rows);
  if (in.at_key("data").get(e)) throw Error("inputs[0]: no \"data\"");
  read_data(e, shape, *type, r.rows);
  r.rows.count = shape[0];
  if (!o.at_key("outputs").get(e)) {
    simdjson::dom::array outs;
    if (e.get_array().get(outs))
      throw Error("outputs: expected an array of {\"name\": ...}, got " + detail::type_words(e));
    r.want_predictions = r.want_classes = false;
    size_t i = 0;
    for (element out : outs) {
      const std::string where = "outputs[" + std::to_string(i++) + "]";
      simdjson::dom::object oo;
      std::string_view n;
      if (out.get_object().get(oo) || oo.at_key("name").get(e) || e.get_string().get(n))
        throw Error(where + ": expected {\"name\": \"predictions\" or \"classes\"}");
      detail::check_keys(oo, where, {"name", "parameters"});
      if (!oo.at_key("parameters").get(e)) check_parameters(e, where + ".parameters", true);
      if (n == "predictions")
        r.want_predictions = true;
      else if (n == "classes")
        r.want_classes = true;
      else
        throw Error(where + ".name " + quote_bytes(sv(n)) +
                    ": expected \"predictions\" or \"classes\"");
    }
    if (!r.want_predictions && !r.want_classes)
      throw Error("outputs: empty (leave it out for every output)");
  }
  return r;
}

std::string v2_reply(const V2Request& request, const float* outputs, const Signature& sig) {
  const int64_t rows = request.rows.count, k = sig.row_out();
  std::string out;
  out.reserve(static_cast<size_t>(rows * (16 * k + 8) + 256));
  out += "{\"model_name\":" + detail::json_string(sig.model_name) + ",\"model_version\":\"" +
         std::to_string(sig.model_version) + "\"";
  if (request.id) out += ",\"id\":" + detail::json_string(*request.id);
  out += ",\"outputs\":[";
  if (request.want_predictions) {
    out += "{\"name\":\"predictions\",\"datatype\":\"FP32\",\"shape\":";
    append_shape(out, rows, sig.output_shape);
    out += ",\"data\":";
    detail::append_floats(out, outputs, rows * k);
    out += '}';
  }
  if (request.want_classes) {
    if (request.want_predictions) out += ',';
    out += "{\"name\":\"classes\",\"datatype\":\"INT64\",\"shape\":";
    append_shape(out, rows, {});
    out += ",\"data\":[";
    for (int64_t r = 0; r < rows; ++r) {
      if (r) out += ',';
      detail::append_int(out, detail::argmax(outputs + r * k, k));
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string v2_model_metadata(const Signature& sig) {
  std::string out = "{\"name\":" + detail::json_string(sig.model_name) + ",\"versions\":[\"" +
                    std::to_string(sig.model_version) + "\"],\"platform\":\"glia\",\"inputs\":[" +
                    "{\"name\":" + detail::json_string(sig.input_name) +
                    ",\"datatype\":\"FP32\",\"shape\":";
  append_shape(out, -1, sig.input_shape);
  out += "}],\"outputs\":[{\"name\":\"predictions\",\"datatype\":\"FP32\",\"shape\":";
  append_shape(out, -1, sig.output_shape);
  out += "},{\"name\":\"classes\",\"datatype\":\"INT64\",\"shape\":[-1]}]}";
  return out;
}

std::string v2_server_metadata() {
  return "{\"name\":\"glia\",\"version\":" + detail::json_string(version()) + ",\"extensions\":[]}";
}

}  // namespace glia::serving

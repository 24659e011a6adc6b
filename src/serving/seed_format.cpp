// The seed's /score format (seed_format.hpp).
#include "glia/serving/seed_format.hpp"

#include "glia/error.hpp"
#include "json_out.hpp"
#include "json_rows.hpp"

namespace glia::serving {

SeedRequest parse_seed_request(std::string_view body, const Signature& sig, int64_t max_rows) {
  const detail::ParsedBody parsed(body);
  const simdjson::dom::element doc = parsed.root();
  simdjson::dom::object o;
  if (doc.get_object().get(o))
    throw Error("request body: expected {\"data\": [[numbers...], ...]}, got " +
                detail::type_words(doc));
  detail::check_keys(o, "request body", {"data", "probabilities"});
  SeedRequest r;
  simdjson::dom::element p;
  if (!o.at_key("probabilities").get(p) && p.get_bool().get(r.probabilities))
    throw Error("probabilities: expected true or false, got " + detail::type_words(p));
  simdjson::dom::element data;
  if (o.at_key("data").get(data))
    throw Error("request body: no \"data\" (expected {\"data\": [[numbers...], ...]})");
  detail::read_rows(data, "data", sig, max_rows, r.rows);
  return r;
}

std::string seed_reply(const float* outputs, int64_t rows, const Signature& sig,
                       bool probabilities) {
  const int64_t k = sig.row_out();
  std::string out;
  out.reserve(static_cast<size_t>(rows) * (probabilities ? 16 * k + 8 : 4) + 32);
  if (probabilities) out += "{\"classes\":";
  out += '[';
  for (int64_t r = 0; r < rows; ++r) {
    if (r) out += ',';
    detail::append_int(out, detail::argmax(outputs + r * k, k));
  }
  out += ']';
  if (probabilities) {
    out += ",\"probabilities\":[";
    for (int64_t r = 0; r < rows; ++r) {
      if (r) out += ',';
      detail::append_floats(out, outputs + r * k, k);
    }
    out += "]}";
  }
  return out;
}

}  // namespace glia::serving

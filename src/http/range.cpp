// Single byte ranges for resumable downloads (RFC 9110 §14.1.2, §14.4, §15.5.17).
#include "glia/http/range.hpp"

#include <charconv>

namespace glia::http {

namespace {

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

RangeRequest parse_range(std::optional<std::string_view> header, uint64_t size) {
  RangeRequest whole{RangeRequest::Whole, {0, size}};
  if (!header) return whole;
  std::string_view h = *header;
  if (h.substr(0, 6) != "bytes=") return whole;  // another unit: ignored (RFC 9110)
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return whole;  // several ranges: the whole body
  const size_t dash = h.find('-');
  if (dash == std::string_view::npos) return whole;  // malformed: ignored
  const auto first = number(h.substr(0, dash));
  const auto last = number(h.substr(dash + 1));
  if (!first && !last) return whole;
  if (!first && dash > 0) return whole;  // malformed start
  if (!first) {                          // suffix: the last N bytes
    if (*last == 0 || size == 0) return {RangeRequest::Unsatisfiable, {}};
    const uint64_t n = std::min(*last, size);
    return {RangeRequest::Part, {size - n, n}};
  }
  if (dash + 1 < h.size() && !last) return whole;  // malformed end
  if (last && *last < *first) return whole;        // invalid: ignored
  if (*first >= size) return {RangeRequest::Unsatisfiable, {}};
  const uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return {RangeRequest::Part, {*first, end - *first + 1}};
}

Response ranged_response(const Request& request, uint64_t size, const std::string& content_type,
                         RangeWriter writer) {
  const RangeRequest asked = parse_range(request.header("Range"), size);
  Response r;
  r.content_type = content_type;
  r.set_header("Accept-Ranges", "bytes");
  if (asked.kind == RangeRequest::Unsatisfiable) {
    r = request.error(416, ErrorKind::InvalidArgument,
                      "Range '" + request.header("Range").value_or("") + "' is outside the " +
                          std::to_string(size) + " bytes of " + request.path);
    r.set_header("Content-Range", "bytes */" + std::to_string(size));
    return r;
  }
  const ByteRange range = asked.range;
  if (asked.kind == RangeRequest::Part) {
    r.status = 206;
    r.set_header("Content-Range", "bytes " + std::to_string(range.offset) + "-" +
                                      std::to_string(range.offset + range.length - 1) + "/" +
                                      std::to_string(size));
  }
  r.content_length = range.length;
  r.stream = [writer = std::move(writer), range](BodySink& sink) {
    return writer(range.offset, range.length, sink);
  };
  return r;
}

}  // namespace glia::http

// HTTP byte ranges (RFC 9110 §14) for resumable downloads of a resource of known size. Glia
// serves one range; a header naming several (or another unit) is answered with the whole body.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "glia/http/message.hpp"

namespace glia::http {

struct ByteRange {
  uint64_t offset = 0, length = 0;
};

struct RangeRequest {
  enum Kind { Whole, Part, Unsatisfiable } kind = Whole;
  ByteRange range;  // Part: the bytes asked for; Whole: all of them
};

/// What a `Range` header asks of `size` bytes.
RangeRequest parse_range(std::optional<std::string_view> header, uint64_t size);

/// Writes `length` bytes starting at `offset` into the sink; false aborts.
using RangeWriter = std::function<bool(uint64_t offset, uint64_t length, BodySink& sink)>;

/// A streamed response of `size` bytes honouring the request's Range: 200 with the whole body,
/// 206 with Content-Range, or 416 with `Content-Range: bytes */SIZE`; Accept-Ranges always.
Response ranged_response(const Request& request, uint64_t size, const std::string& content_type,
                         RangeWriter writer);

}  // namespace glia::http

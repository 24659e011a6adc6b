// The seed's wire format (Azure ML's score.py run(raw_data)): POST /score with
// {"data": [[row], ...]} answers the predicted classes [7, 2, 1]; with probabilities asked for
// (?probabilities=true, or "probabilities": true in the body) it answers
// {"classes": [...], "probabilities": [[...], ...]}.
#pragma once

#include <string>
#include <string_view>

#include "glia/serving/signature.hpp"

namespace glia::serving {

struct SeedRequest {
  Rows rows;
  bool probabilities = false;
};

/// glia::Error (InvalidArgument) naming what is wrong: not JSON, a key other than "data" and
/// "probabilities", a row of the wrong width (its index and the width expected), a value that
/// is not a number or does not fit in float32, no rows or more than max_rows.
SeedRequest parse_seed_request(std::string_view body, const Signature& sig, int64_t max_rows);

/// The reply for `rows` output rows of sig.row_out() values each.
std::string seed_reply(const float* outputs, int64_t rows, const Signature& sig,
                       bool probabilities);

}  // namespace glia::serving

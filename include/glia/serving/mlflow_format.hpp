// MLflow's pyfunc scoring server format (`mlflow models serve`, POST /invocations), as MLflow
// serves a Keras model: exactly one of
//   {"dataframe_split": {"columns": [...], "data": [[...], ...], "index": [...]}}
//       columns and index optional; columns, when given, one per input value, in order;
//   {"dataframe_records": [{"c1": v, "c2": v, ...}, ...]}
//       the first record's keys, in their order, are the columns (pandas' order); every record
//       holds exactly those keys, in any order;
//   {"instances": [[...], ...]} or {"inputs": [[...], ...]}
//       rows flat, or nested as the model's input shape;
// with an optional "params" that must be empty (the engine's models take none). A dataframe's
// rows are always flat (one column per input value). The reply is MLflow's for a Keras model
// with a signature (and for tensor input always): {"predictions": [[output row], ...]}, the
// model's output rows (probabilities for a classifier).
#pragma once

#include <string>
#include <string_view>

#include "glia/serving/signature.hpp"

namespace glia::serving {

/// glia::Error (InvalidArgument) naming what is wrong, as parse_seed_request.
Rows parse_invocations(std::string_view body, const Signature& sig, int64_t max_rows);

std::string invocations_reply(const float* outputs, int64_t rows, const Signature& sig);

}  // namespace glia::serving

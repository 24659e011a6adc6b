// KServe v2 / the Open Inference Protocol over HTTP/REST, for a model with one input:
//   POST /v2/models/{m}[/versions/{v}]/infer
//   {"id": "...", "parameters": {}, "inputs": [{"name": INPUT, "shape": [n, ...],
//     "datatype": "FP32", "data": [...], "parameters": {}}], "outputs": [{"name": ...}]}
// INPUT is the model's input layer's name (GET /v2/models/{m} lists it); shape is [n] + the
// model's input shape (or [n, values per row]); datatype FP32, FP64, INT8..INT64 or
// UINT8..UINT64 (integers must be whole and in the type's range); data flat (row-major) or
// nested as shape. Outputs: "predictions" (FP32, [n] + the output shape) and "classes" (INT64,
// [n]: the index of each row's largest output); all of them unless "outputs" names some.
// Parameters: the only one accepted is an output's "binary_data": false (replies are JSON).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/serving/signature.hpp"

namespace glia::serving {

struct V2Request {
  std::optional<std::string> id;  // echoed in the reply
  Rows rows;
  bool want_predictions = true, want_classes = true;
};

/// glia::Error (InvalidArgument) naming what is wrong (the field, and what was expected).
V2Request parse_v2_request(std::string_view body, const Signature& sig, int64_t max_rows);

std::string v2_reply(const V2Request& request, const float* outputs, const Signature& sig);

/// GET /v2/models/{m}: name, versions, platform, inputs and outputs with their shapes.
std::string v2_model_metadata(const Signature& sig);
/// GET /v2: the server's name, version and extensions.
std::string v2_server_metadata();

}  // namespace glia::serving

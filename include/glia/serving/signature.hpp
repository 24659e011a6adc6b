// What a served model takes and gives, as the wire formats check requests against it, and the
// rows a request carries once parsed (float32, row-major, checked: never NaN or infinite).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "glia/model.hpp"
#include "glia/tensor.hpp"

namespace glia::serving {

struct Signature {
  std::string model_name;
  int64_t model_version = 0;
  std::string input_name;  // the model's input layer (KServe v2's input name)
  Shape input_shape;       // per row, no batch dimension
  Shape output_shape;      // per row
  int64_t row_in() const { return shape_numel(input_shape); }
  int64_t row_out() const { return shape_numel(output_shape); }
};

/// The signature of a loaded model served as `name` version `version`.
Signature signature_of(const Model& model, const std::string& name, int64_t version);

struct Rows {
  std::vector<float> values;  // count * row_in values
  int64_t count = 0;
};

}  // namespace glia::serving

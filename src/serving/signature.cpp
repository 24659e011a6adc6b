// A served model's signature (signature.hpp).
#include "glia/serving/signature.hpp"

namespace glia::serving {

Signature signature_of(const Model& model, const std::string& name, int64_t version) {
  Signature s;
  s.model_name = name;
  s.model_version = version;
  const LayerPtr input = model.input_layer();
  s.input_name = input ? input->name() : "input";
  s.input_shape = model.input_shape();
  s.output_shape = model.output_shape();
  return s;
}

}  // namespace glia::serving

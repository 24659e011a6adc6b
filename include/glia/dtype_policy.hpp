// Keras' dtype policies (keras.DTypePolicy): the dtype a layer's variables are stored in and the
// dtype it computes in. Glia supports "float32" and "mixed_bfloat16" (float32 variables,
// optimizer state and loss; matrix products and convolutions on bfloat16-rounded inputs with
// float32 accumulation, as PyTorch's CPU autocast and oneDNN's bf16 primitives compute them).
#pragma once

#include <string>
#include <vector>

namespace glia {

enum class DTypePolicy { float32, mixed_bfloat16 };

/// "float32" / "mixed_bfloat16", Keras' policy names.
std::string policy_name(DTypePolicy policy);
/// The dtype a layer's outputs have in Keras: "float32" or "bfloat16".
std::string compute_dtype_name(DTypePolicy policy);
/// Parses a policy name; throws glia::Error (InvalidArgument) naming `what` and the supported
/// policies for anything else (Keras' float16, mixed_float16, bfloat16, int8, ...).
DTypePolicy parse_dtype_policy(const std::string& name, const std::string& what = "dtype policy");
std::vector<std::string> dtype_policy_names();

namespace mixed_precision {
/// Keras' keras.mixed_precision.set_global_policy: the policy of layers created afterwards
/// (float32 until set). Process-wide.
void set_global_policy(DTypePolicy policy);
void set_global_policy(const std::string& name);
DTypePolicy global_policy();
}  // namespace mixed_precision

}  // namespace glia

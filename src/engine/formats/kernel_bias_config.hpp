// The options of a layer with a kernel and an optional bias (Dense, Conv2D, Conv1D): use_bias,
// the initializers, regularizers (with the activity regularizer) and constraints, both ways.
// Templates over the layer's options struct, which names its fields as Keras does.
#pragma once

#include "formats/config.hpp"

namespace glia::formats {

/// Writes use_bias and the variable options in Keras' order. `activity_always`: write the
/// activity regularizer even when unset (Keras 3 writes Dense's only when set).
template <class Options>
void write_kernel_bias_options(const Options& o, ConfigStyle style, bool activity_always, json& c) {
  c["use_bias"] = o.use_bias;
  c["kernel_initializer"] = initializer_json(o.kernel_initializer, style);
  c["bias_initializer"] = initializer_json(o.bias_initializer, style);
  c["kernel_regularizer"] = regularizer_json(o.kernel_regularizer, style);
  c["bias_regularizer"] = regularizer_json(o.bias_regularizer, style);
  if (activity_always || style == ConfigStyle::keras2 || o.activity_regularizer.active())
    c["activity_regularizer"] = regularizer_json(o.activity_regularizer, style);
  c["kernel_constraint"] = constraint_json(o.kernel_constraint, style);
  c["bias_constraint"] = constraint_json(o.bias_constraint, style);
}

/// Reads use_bias and the variable options present in `c` into `o`.
template <class Options>
void read_kernel_bias_options(const json& c, const Where& w, Options& o) {
  if (const json* b = find(c, "use_bias")) {
    if (!b->is_boolean()) w.at("use_bias").fail("expected true or false, got " + b->dump());
    o.use_bias = b->get<bool>();
  }
  if (const json* k = find(c, "kernel_initializer"))
    o.kernel_initializer = initializer_from(*k, w.at("kernel_initializer"));
  if (const json* k = find(c, "bias_initializer"))
    o.bias_initializer = initializer_from(*k, w.at("bias_initializer"));
  if (const json* k = find(c, "kernel_regularizer"))
    o.kernel_regularizer = regularizer_from(*k, w.at("kernel_regularizer"));
  if (const json* k = find(c, "bias_regularizer"))
    o.bias_regularizer = regularizer_from(*k, w.at("bias_regularizer"));
  if (const json* k = find(c, "activity_regularizer"))
    o.activity_regularizer = regularizer_from(*k, w.at("activity_regularizer"));
  if (const json* k = find(c, "kernel_constraint"))
    o.kernel_constraint = constraint_from(*k, w.at("kernel_constraint"));
  if (const json* k = find(c, "bias_constraint"))
    o.bias_constraint = constraint_from(*k, w.at("bias_constraint"));
}

}  // namespace glia::formats

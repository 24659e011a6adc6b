// The element formulas the CPU backends use: the shared host/device definitions in formulas.hpp.
// The loops around them differ per backend; the formulas must not.
#pragma once

#include "backends/formulas.hpp"
#include "backends/loss_formulas.hpp"
#include "backends/update_formulas.hpp"

namespace glia::detail {

using formulas::gelu;
using formulas::gelu_grad;
using formulas::hash_uniform;
using formulas::sigmoid;

}  // namespace glia::detail

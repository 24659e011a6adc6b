// Glia's engine API in one include: every header of include/glia/ (the platform's, in
// include/glia/platform/, are included one by one).
#pragma once

#include "glia/activations.hpp"
#include "glia/backend.hpp"
#include "glia/callbacks.hpp"
#include "glia/data.hpp"
#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/initializers.hpp"
#include "glia/layer.hpp"
#include "glia/layers.hpp"
#include "glia/losses.hpp"
#include "glia/metrics.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "glia/regularizers.hpp"
#include "glia/runtime.hpp"
#include "glia/saving.hpp"
#include "glia/tensor.hpp"
#include "glia/version.hpp"

// What every Store does first in create_run: the NewRun checked and turned into the record it
// stores (its id made when none is given, its display name the id when none is given).
#pragma once

#include "glia/platform/store.hpp"

namespace glia::platform {

/// Throws glia::Error (InvalidArgument) for a run without an experiment, or a sweep's trial
/// without both its parent and its index; else the record (status NotStarted, or Queued for
/// `run.queue`; created_at left to the store).
RunRecord new_run_record(const NewRun& run);

}  // namespace glia::platform

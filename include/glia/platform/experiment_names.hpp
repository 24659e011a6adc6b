// Experiment names: they start run ids ("<experiment>_<unix seconds>_<8 hex digits>"), and a
// run id names the run's folder on the local compute target, so they are checked wherever a name
// enters (job files, --set, RunLogger).
#pragma once

#include <string>

namespace glia::platform {

/// Throws glia::Error "experiment name '<name>' is not valid: ..." unless `name` follows the
/// asset name rule ([A-Za-z0-9][A-Za-z0-9._-]*, check_asset_name) and is at most
/// kMaxExperimentNameLength characters (input_limits.hpp).
void check_experiment_name(const std::string& name);

}  // namespace glia::platform

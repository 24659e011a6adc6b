// check_experiment_name: the asset name rule, and short enough that the run id fits a file name.
#include "glia/platform/experiment_names.hpp"

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/assets.hpp"
#include "glia/platform/input_limits.hpp"

namespace glia::platform {

void check_experiment_name(const std::string& name) {
  if (name.size() > kMaxExperimentNameLength) {  // first: the asset rule's own limit is longer
    throw Error("experiment name " + quote_bytes(name, 60) + " is not valid: it has " +
                std::to_string(name.size()) + " characters, at most " +
                std::to_string(kMaxExperimentNameLength) +
                " are allowed (the run id it starts names the run's folder)");
  }
  check_asset_name(name, "experiment");
}

}  // namespace glia::platform

// A compute target described by a YAML file (`glia compute create -f compute.yml`).
#pragma once

#include <string>

#include "glia/platform/store.hpp"

namespace glia::platform {

/// Reads a compute YAML file: name (required), type (local | slurm), description,
/// max_concurrent, threads_per_job, and for Slurm partition, max_nodes (or Azure's
/// max_instances), min_instances (0 only), account, qos, time_limit. Unknown keys and invalid
/// values are refused with glia::Error naming `source`; the result passed check_compute.
ComputeTarget parse_compute_file(const std::string& yaml_text, const std::string& source);

}  // namespace glia::platform

// A conda environment given as a YAML node of another file (a job's inline
// `environment: {conda_file: {...}}`): checked like a conda file, errors at the node's own
// line:column in that file. For src/platform/jobs and src/platform/envs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "glia/platform/environments.hpp"

namespace glia::platform::envs {

/// parse_conda_file for a node already read; `source_name` names the file the node is in.
EnvironmentSpec parse_conda_node(const YAML::Node& root, const std::string& source_name);

}  // namespace glia::platform::envs

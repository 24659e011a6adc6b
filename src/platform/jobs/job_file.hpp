// Job files: reading one (bounded), and the parsers of each job type behind load_job_file.
// Private to src/platform/jobs.
#pragma once

#include <filesystem>
#include <string>

#include "glia/platform/job_spec.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform::job_spec_detail {

struct JobFileText {
  std::string name;                // the path as given, for messages
  std::filesystem::path absolute;  // absolute and lexically normal
  std::string text;                // at most kMaxJobFileBytes + 1 bytes (the parser refuses more)
};
/// Reads a job file: a missing file, a folder or a read error is a one-line error naming it.
JobFileText read_job_file(const std::filesystem::path& file);

/// A command job from its document's root (job_spec_parse.cpp); refuses other types.
JobSpec parse_command_job(const YamlReader& yaml, const YAML::Node& root);
/// A sweep from its document's root (sweep_spec_parse.cpp); refuses other types.
SweepSpec parse_sweep(const YamlReader& yaml, const YAML::Node& root);

}  // namespace glia::platform::job_spec_detail

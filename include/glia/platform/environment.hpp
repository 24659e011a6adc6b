// What a job takes from its submitter's environment. A run records only what the job needs to be
// reproducible: the values of a short allow-list of variables (below) — never any other value, so
// a token in the submitter's environment never reaches the store. Anything else a job needs is
// given in the job's YAML (`environment_variables`), where the user chose to write it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glia::platform {

/// The variables whose values a run records from the submitter's environment: names, or
/// prefixes ending in '*' ("LC_*"). The one list (docs/jobs.md shows it).
const std::vector<std::string>& recorded_variable_names();

/// Whether `name` is on the allow-list.
bool is_recorded_variable(const std::string& name);

/// The allow-listed part of `env`.
std::map<std::string, std::string> recordable_environment(
    const std::map<std::string, std::string>& env);

/// The user this process runs as (its real uid) and their login name ("" when the uid has no
/// passwd entry): recorded on each run as who submitted or started it.
struct SubmittingUser {
  int64_t uid = 0;
  std::string name;
};
SubmittingUser current_user();

/// The environment of this process, as a map (Glia's own GLIA_* variables left out: the agent
/// sets those for each job).
std::map<std::string, std::string> current_environment();

}  // namespace glia::platform

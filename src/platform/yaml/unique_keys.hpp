// The one check that a YAML mapping's keys are scalars and unique, for every YAML file Glia reads
// (job, sweep, endpoint, deployment, compute and conda files): yaml-cpp keeps every entry of a
// repeated key, so without it the first or the last would win silently. Private to src/platform.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

namespace glia::platform::yaml {

struct Entry {
  std::string name;  // the key's text
  YAML::Node key;    // where the key is written (for line:column in messages)
  YAML::Node value;
};

enum class KeyProblem { NotScalar, Duplicate };
/// Told a key that is not a scalar, or that repeats an earlier key of the mapping; must throw
/// (the caller's error names its file and the key as that file's messages do).
using RefuseKey = std::function<void(KeyProblem, const YAML::Node& key)>;

/// The entries of `map` (a mapping) in file order, every key a scalar given once; else `refuse`.
std::vector<Entry> unique_entries(const YAML::Node& map, const RefuseKey& refuse);

}  // namespace glia::platform::yaml

#include "yaml/unique_keys.hpp"

#include <set>

#include "glia/error.hpp"

namespace glia::platform::yaml {

namespace {

[[noreturn]] void refused(const RefuseKey& refuse, KeyProblem problem, const YAML::Node& key) {
  refuse(problem, key);
  throw Error(ErrorKind::Internal, "a RefuseKey returned");  // it must throw
}

}  // namespace

std::vector<Entry> unique_entries(const YAML::Node& map, const RefuseKey& refuse) {
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) refused(refuse, KeyProblem::NotScalar, entry.first);
    const std::string name = entry.first.Scalar();
    if (!seen.insert(name).second) refused(refuse, KeyProblem::Duplicate, entry.first);
    out.push_back({name, entry.first, entry.second});
  }
  return out;
}

}  // namespace glia::platform::yaml

// Grid sampling: the combinations of the choices in mixed-radix order, the last parameter name
// varying fastest.
#include <algorithm>
#include <limits>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps {

int64_t grid_size(const SearchSpace& space) {
  check_space_for(space, "grid", "sweep");
  int64_t size = 1;
  for (const auto& [name, e] : space) {
    const auto n = static_cast<int64_t>(e.values.size());
    if (size > std::numeric_limits<int64_t>::max() / n) {
      throw Error("grid sampling: the search space has more than " +
                  std::to_string(std::numeric_limits<int64_t>::max()) + " combinations");
    }
    size *= n;
  }
  return size;
}

Parameters sample_grid(const SearchSpace& space, int64_t index) {
  const int64_t size = grid_size(space);
  if (index < 0 || index >= size) {
    throw Error("grid sampling: trial index must be in [0, " + std::to_string(size) + "), got " +
                std::to_string(index));
  }
  Parameters out;
  int64_t rest = index;
  for (auto it = space.rbegin(); it != space.rend(); ++it) {
    const auto n = static_cast<int64_t>(it->second.values.size());
    out.emplace(it->first, it->second.values[static_cast<std::size_t>(rest % n)]);
    rest /= n;
  }
  return out;
}

std::optional<int64_t> grid_index(const SearchSpace& space, const Parameters& params) {
  const int64_t size = grid_size(space);
  if (params.size() != space.size()) return std::nullopt;
  int64_t index = 0;
  for (const auto& [name, e] : space) {
    const auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    const auto pos = std::find(e.values.begin(), e.values.end(), it->second);
    if (pos == e.values.end()) return std::nullopt;
    index = index * static_cast<int64_t>(e.values.size()) + (pos - e.values.begin());
  }
  return index < size ? std::optional<int64_t>(index) : std::nullopt;
}

}  // namespace glia::platform::sweeps

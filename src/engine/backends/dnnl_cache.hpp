// Primitives made once per shape and kept (the CPU backend's convolutions — their primitive
// descriptors, primitives and the reorders around them — and batch normalizations, which would
// otherwise be searched for and made again on every call).
#pragma once

#include <omp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace glia {

/// A thread-safe map from a shape's numbers to what `make` builds for it (shared, so a value
/// stays alive while a caller uses it), cleared when it holds `kBound` entries (a bound for
/// programs that see many shapes).
template <class Value>
class PrimitiveCache {
 public:
  using Key = std::vector<int64_t>;
  static constexpr size_t kBound = 256;

  /// The thread count joins the key: oneDNN fixes a primitive's parallel split when it is made,
  /// so a primitive made under another set_num_threads() must not be reused.
  template <class Make>
  std::shared_ptr<Value> get(Key key, Make&& make) {
    key.push_back(omp_get_max_threads());
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second;
    if (map_.size() >= kBound) map_.clear();
    std::shared_ptr<Value> value = make();
    map_.emplace(key, value);
    return value;
  }

 private:
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Value>> map_;
};

}  // namespace glia

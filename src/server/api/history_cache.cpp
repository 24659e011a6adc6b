#include "server/api/history_cache.hpp"

#include <cstring>

namespace glia::server::api {

namespace {

// Bitwise: NaN equals NaN, and 0.0 differs from -0.0 (another value was logged).
bool same(const platform::MetricPoint& a, const platform::MetricPoint& b) {
  return a.step == b.step && std::memcmp(&a.value, &b.value, sizeof(double)) == 0 &&
         std::memcmp(&a.wall_time, &b.wall_time, sizeof(double)) == 0;
}

}  // namespace

std::optional<std::string> HistoryCache::find(const std::string& key,
                                              const platform::MetricPoint& latest) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key != key) continue;
    if (!same(it->latest, latest)) {
      erase(it);
      return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, it);
    return it->body;
  }
  return std::nullopt;
}

void HistoryCache::put(const std::string& key, const platform::MetricPoint& latest,
                       std::string body) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->key == key) {
      erase(it);
      break;
    }
  Entry entry{key, latest, std::move(body)};
  if (entry.size() > max_bytes_ || max_entries_ == 0) return;
  bytes_ += entry.size();
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_entries_ || bytes_ > max_bytes_) erase(std::prev(entries_.end()));
}

size_t HistoryCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t HistoryCache::entries() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void HistoryCache::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->size();
  entries_.erase(it);
}

HistoryCache& history_cache() {
  static HistoryCache cache(32, size_t{32} << 20);
  return cache;
}

}  // namespace glia::server::api

// Downsampled metric histories answered recently (GET .../metrics/{name}?max_points=N), so a
// chart drawn again (another tab, the compare view, another user) does not read a long series
// again: a million points cost ~165 ms to read from SQLite for lttb (~2-4 ms for minmax, from the
// store's block summaries), the answer from here ~1 ms (bench/README.md "Web view"). An entry is
// used only while the series' last logged point is still the one it was made with (every logged
// point becomes the latest, so a series that grew is read again). Bounded by bytes as well as
// entries: an answer may hold up to 100,000 points.
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <string>

#include "glia/platform/store.hpp"

namespace glia::server::api {

class HistoryCache {
 public:
  /// Holds at most `max_entries` answers of `max_bytes` in all; a larger answer is not kept.
  HistoryCache(size_t max_entries, size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  /// The answer kept for `key` when it was made with `latest` as the series' last point (an
  /// entry made with another is dropped).
  std::optional<std::string> find(const std::string& key, const platform::MetricPoint& latest);
  /// Keeps `body` for `key` (replacing what was kept), dropping the least recently used answers
  /// beyond the bounds.
  void put(const std::string& key, const platform::MetricPoint& latest, std::string body);

  /// The bytes of the answers kept (their keys and bodies).
  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::string key;
    platform::MetricPoint latest;
    std::string body;
    size_t size() const { return key.size() + body.size(); }
  };
  void erase(std::list<Entry>::iterator it);

  size_t max_entries_, max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // most recently used first
  size_t bytes_ = 0;
};

/// The server's one cache (32 answers, 32 MiB).
HistoryCache& history_cache();

}  // namespace glia::server::api

// What the benchmark programs share: the median of their repeated timings, and a fit that times
// each epoch.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "glia/glia.hpp"

namespace glia_bench {

/// The median (the mean of the middle two for an even count; 0 for none).
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0.0;
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/// Trains `model` on `train` for `epochs` epochs (no progress output) and returns each epoch's
/// seconds, measured from the epoch's start to the end of its last batch (no validation).
inline std::vector<double> timed_fit(glia::Model& model,
                                     const std::shared_ptr<glia::ImageClassDataset>& train,
                                     int64_t batch_size, int epochs, uint64_t seed) {
  using Clock = std::chrono::steady_clock;
  const int64_t steps = (train->size() + batch_size - 1) / batch_size;
  std::vector<double> epoch_s;
  Clock::time_point start;
  auto timer = std::make_shared<glia::LambdaCallback>();
  timer->epoch_begin = [&](int, const glia::Logs&) { start = Clock::now(); };
  timer->batch_end = [&](int64_t b, const glia::Logs&) {
    if (b + 1 == steps)
      epoch_s.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  };
  model.fit(train, {.batch_size = batch_size,
                    .epochs = epochs,
                    .verbose = 0,
                    .callbacks = {timer},
                    .seed = seed});
  return epoch_s;
}

}  // namespace glia_bench

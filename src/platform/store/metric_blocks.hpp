// What both stores share of the metric block summaries (migration 14): a series' points after
// its first are cut, in stored order (by step then logging order), into blocks of kMinMaxBlock
// points, each summarized by its count and its lowest and highest point; a min/max downsample
// (Store::metric_series_minmax) then reads one row per block instead of every point.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "glia/platform/downsample.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::metric_blocks {

inline constexpr int64_t kBlock = static_cast<int64_t>(kMinMaxBlock);

/// A point with its place in the series (0 = the first point).
struct IndexedPoint {
  int64_t index = 0;
  MetricPoint point;
};

/// One block: its count, and its first lowest and first highest non-NaN point (its first point
/// for both when every value is NaN).
struct Block {
  int64_t n = 0;
  IndexedPoint lo, hi;
};

/// Adds the point at `index` (the block's next) to the block.
void add(Block& b, int64_t index, const MetricPoint& p);

/// The block that holds the point at `index` (>= 1).
inline int64_t block_of(int64_t index) {
  return (index - 1) / kBlock;
}

/// Every block of a whole series (in stored order): what a series' summary is rebuilt from.
std::vector<Block> summarize(const std::vector<MetricPoint>& series);

/// A summarized series: its count of points and its highest step.
struct Summary {
  int64_t points = 0, last_step = 0;
};

/// What one write does to a series' summary: the points appended (steps resolved, in logging
/// order) either extend it (the blocks they touch are in `blocks`, to be written over) or, when
/// a step is lower than the series' highest, make the series unsummarized (`valid` false: its
/// summary is dropped and rebuilt when read).
struct Update {
  bool valid = true;
  Summary summary;
  std::map<int64_t, Block> blocks;
};

/// Folds `points` into `summary`; `load(k)` gives the stored block k, asked for when the first
/// appended point falls inside a block already begun.
Update append(const Summary& summary, const std::vector<MetricPoint>& points,
              const std::function<Block(int64_t)>& load);

/// Whether the blocks can answer a min/max downsample of a series of n points (else the store
/// reads the series and answers downsample_minmax_blocks on it, which then is downsample_minmax
/// or every point).
bool answers(int64_t n, size_t max_points);

/// The stored blocks that answer (the whole blocks before the series' tail): blocks 0 .. count-1.
int64_t stored_blocks(int64_t n);
/// How many of the series' last points the store reads (the tail: the points after the stored
/// blocks, the last point included).
int64_t tail_points(int64_t n);

/// downsample_minmax_blocks's answer from the first point, the stored blocks (0 .. count-1) and
/// the tail (the last tail_points(n) points, in stored order).
std::vector<MetricPoint> downsample(int64_t n, size_t max_points, const MetricPoint& first,
                                    const std::vector<Block>& stored,
                                    const std::vector<MetricPoint>& tail);

/// downsample_minmax_blocks on a whole series, as points.
std::vector<MetricPoint> downsample_read(const std::vector<MetricPoint>& series, size_t max_points);

}  // namespace glia::platform::metric_blocks

#include "store/metric_blocks.hpp"

#include <algorithm>
#include <cmath>

namespace glia::platform::metric_blocks {

void add(Block& b, int64_t index, const MetricPoint& p) {
  const IndexedPoint here{index, p};
  if (b.n++ == 0) {
    b.lo = b.hi = here;
    return;
  }
  if (std::isnan(p.value)) return;
  if (std::isnan(b.lo.point.value)) {  // every value before was NaN
    b.lo = b.hi = here;
    return;
  }
  if (p.value < b.lo.point.value) b.lo = here;
  if (p.value > b.hi.point.value) b.hi = here;
}

std::vector<Block> summarize(const std::vector<MetricPoint>& series) {
  std::vector<Block> out;
  for (size_t i = 1; i < series.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    if (static_cast<size_t>(block_of(index)) == out.size()) out.emplace_back();
    add(out.back(), index, series[i]);
  }
  return out;
}

Update append(const Summary& summary, const std::vector<MetricPoint>& points,
              const std::function<Block(int64_t)>& load) {
  Update u;
  u.summary = summary;
  for (const MetricPoint& p : points) {
    if (u.summary.points > 0 && p.step < u.summary.last_step) {
      u.valid = false;
      u.blocks.clear();
      return u;
    }
    const int64_t index = u.summary.points++;
    u.summary.last_step = p.step;
    if (index == 0) continue;  // the first point is in no block
    const int64_t k = block_of(index);
    auto it = u.blocks.find(k);
    if (it == u.blocks.end())
      it = u.blocks.emplace(k, (index - 1) % kBlock == 0 ? Block{} : load(k)).first;
    add(it->second, index, p);
  }
  return u;
}

namespace {

size_t buckets_of(size_t max_points) {
  return (std::max(max_points, kMinDownsamplePoints) - 2) / 2;
}

}  // namespace

bool answers(int64_t n, size_t max_points) {
  if (n <= static_cast<int64_t>(std::max(max_points, kMinDownsamplePoints))) return false;
  const int64_t blocks = (n - 2 + kBlock - 1) / kBlock;
  return blocks >= static_cast<int64_t>(buckets_of(max_points));
}

int64_t stored_blocks(int64_t n) {
  return (n - 2) / kBlock;
}

int64_t tail_points(int64_t n) {
  return n - 1 - stored_blocks(n) * kBlock;
}

std::vector<MetricPoint> downsample(int64_t n, size_t max_points, const MetricPoint& first,
                                    const std::vector<Block>& stored,
                                    const std::vector<MetricPoint>& tail) {
  // The blocks of the points between the first and the last: the stored ones and the tail's.
  std::vector<Block> blocks = stored;
  const int64_t tail_begin = n - static_cast<int64_t>(tail.size());
  if (tail.size() > 1) {
    Block partial;
    for (size_t i = 0; i + 1 < tail.size(); ++i)
      add(partial, tail_begin + static_cast<int64_t>(i), tail[i]);
    blocks.push_back(partial);
  }
  const size_t buckets = buckets_of(max_points), count = blocks.size();
  std::vector<MetricPoint> out{first};
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = b * count / buckets, end = (b + 1) * count / buckets;
    if (begin >= end) continue;
    // A bucket's extremes are the first lowest and first highest of its blocks' (in order).
    const IndexedPoint* lo = nullptr;
    const IndexedPoint* hi = nullptr;
    for (size_t k = begin; k < end; ++k) {
      const Block& blk = blocks[k];
      if (std::isnan(blk.lo.point.value)) continue;  // every value NaN
      if (!lo || blk.lo.point.value < lo->point.value) lo = &blk.lo;
      if (!hi || blk.hi.point.value > hi->point.value) hi = &blk.hi;
    }
    if (!lo) lo = hi = &blocks[begin].lo;  // only NaN: the bucket's first point
    if (lo->index == hi->index) {
      out.push_back(lo->point);
    } else {
      out.push_back(lo->index < hi->index ? lo->point : hi->point);
      out.push_back(lo->index < hi->index ? hi->point : lo->point);
    }
  }
  out.push_back(tail.back());
  return out;
}

std::vector<MetricPoint> downsample_read(const std::vector<MetricPoint>& series,
                                         size_t max_points) {
  std::vector<SeriesPoint> xy;
  xy.reserve(series.size());
  for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
  std::vector<MetricPoint> out;
  for (size_t i : downsample_minmax_blocks(xy, max_points)) out.push_back(series[i]);
  return out;
}

}  // namespace glia::platform::metric_blocks

namespace glia::platform {

std::vector<MetricPoint> Store::metric_series_from(const std::string& run_id,
                                                   const std::string& name, size_t from,
                                                   size_t& total) {
  std::vector<MetricPoint> all = metric_series(run_id, name);
  total = all.size();
  if (from >= all.size()) return {};
  return {all.begin() + static_cast<std::ptrdiff_t>(from), all.end()};
}

DownsampledSeries Store::metric_series_minmax(const std::string& run_id, const std::string& name,
                                              size_t max_points) {
  const auto series = metric_series(run_id, name);
  return {metric_blocks::downsample_read(series, max_points), static_cast<int64_t>(series.size())};
}

}  // namespace glia::platform

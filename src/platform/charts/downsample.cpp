#include "glia/platform/downsample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "glia/error.hpp"

namespace glia::platform {

DownsampleMethod parse_downsample_method(const std::string& name) {
  if (name == "minmax") return DownsampleMethod::MinMax;
  if (name == "lttb") return DownsampleMethod::Lttb;
  throw Error("downsampling method '" + name + "': expected minmax or lttb");
}

namespace {

std::vector<size_t> all_indices(size_t n) {
  std::vector<size_t> out(n);
  std::iota(out.begin(), out.end(), size_t{0});
  return out;
}

}  // namespace

namespace {

// The lowest and highest non-NaN y of points [begin, end) (first occurrences; the first point
// when all are NaN), appended in x order, once when they are the same point.
void bucket_extremes(const std::vector<SeriesPoint>& points, size_t begin, size_t end,
                     std::vector<size_t>& out) {
  if (begin >= end) return;
  size_t lo = begin, hi = begin;
  bool found = false;
  for (size_t i = begin; i < end; ++i) {
    const double y = points[i].y;
    if (std::isnan(y)) continue;
    if (!found) {
      lo = hi = i;
      found = true;
    }
    if (y < points[lo].y) lo = i;
    if (y > points[hi].y) hi = i;
  }
  out.push_back(std::min(lo, hi));
  if (lo != hi) out.push_back(std::max(lo, hi));
}

}  // namespace

std::vector<size_t> downsample_minmax(const std::vector<SeriesPoint>& points, size_t max_points) {
  const size_t n = points.size();
  max_points = std::max(max_points, kMinDownsamplePoints);
  if (n <= max_points) return all_indices(n);
  const size_t buckets = (max_points - 2) / 2;
  std::vector<size_t> out{0};
  const size_t inner = n - 2;  // points 1 .. n-2
  for (size_t b = 0; b < buckets; ++b)
    bucket_extremes(points, 1 + b * inner / buckets, 1 + (b + 1) * inner / buckets, out);
  out.push_back(n - 1);
  return out;
}

std::vector<size_t> downsample_minmax_blocks(const std::vector<SeriesPoint>& points,
                                             size_t max_points, size_t block) {
  const size_t n = points.size();
  max_points = std::max(max_points, kMinDownsamplePoints);
  block = std::max<size_t>(block, 1);
  if (n <= max_points) return all_indices(n);
  const size_t buckets = (max_points - 2) / 2;
  const size_t inner = n - 2;
  const size_t blocks = (inner + block - 1) / block;
  if (blocks < buckets) return downsample_minmax(points, max_points);
  std::vector<size_t> out{0};
  for (size_t b = 0; b < buckets; ++b) {
    const size_t first = b * blocks / buckets, last = (b + 1) * blocks / buckets;
    bucket_extremes(points, 1 + first * block, std::min(1 + last * block, n - 1), out);
  }
  out.push_back(n - 1);
  return out;
}

std::vector<size_t> downsample_lttb(const std::vector<SeriesPoint>& points, size_t max_points) {
  const size_t n = points.size();
  max_points = std::max(max_points, kMinDownsamplePoints);
  if (n <= max_points) return all_indices(n);
  std::vector<size_t> out;
  out.reserve(max_points);
  out.push_back(0);
  const double every = static_cast<double>(n - 2) / static_cast<double>(max_points - 2);
  size_t a = 0;
  for (size_t i = 0; i + 2 < max_points; ++i) {
    // The average of the next bucket (the last point for the last bucket).
    size_t avg_begin = static_cast<size_t>(std::floor((i + 1) * every)) + 1;
    size_t avg_end = std::min(static_cast<size_t>(std::floor((i + 2) * every)) + 1, n);
    avg_begin = std::min(avg_begin, n - 1);
    avg_end = std::max(avg_end, avg_begin + 1);
    double avg_x = 0, avg_y = 0;
    size_t counted = 0;
    for (size_t j = avg_begin; j < avg_end; ++j) {
      if (std::isnan(points[j].y)) continue;
      avg_x += points[j].x;
      avg_y += points[j].y;
      ++counted;
    }
    if (counted > 0) {
      avg_x /= static_cast<double>(counted);
      avg_y /= static_cast<double>(counted);
    } else {
      avg_x = points[avg_begin].x;
      avg_y = points[a].y;
    }
    // This bucket's point with the largest triangle (a, it, the average).
    const size_t begin = static_cast<size_t>(std::floor(i * every)) + 1;
    const size_t end = std::min(static_cast<size_t>(std::floor((i + 1) * every)) + 1, n - 1);
    const double ax = points[a].x, ay = points[a].y;
    double best_area = -1;
    size_t best = begin;
    for (size_t j = begin; j < end; ++j) {
      const double area =
          std::abs((ax - avg_x) * (points[j].y - ay) - (ax - points[j].x) * (avg_y - ay)) * 0.5;
      if (area > best_area) {  // false for NaN: such a point is never preferred
        best_area = area;
        best = j;
      }
    }
    out.push_back(best);
    a = best;
  }
  out.push_back(n - 1);
  return out;
}

std::vector<size_t> downsample(const std::vector<SeriesPoint>& points, size_t max_points,
                               DownsampleMethod method) {
  return method == DownsampleMethod::Lttb ? downsample_lttb(points, max_points)
                                          : downsample_minmax(points, max_points);
}

}  // namespace glia::platform

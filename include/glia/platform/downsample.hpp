// Downsampling a metric series for a chart, on the server: a long series (a million steps) is
// cut to at most N points that still look like it. Pure functions of the points; they return the
// indices of the points kept, ascending, always with the first and the last.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace glia::platform {

struct SeriesPoint {
  double x = 0, y = 0;  // x ascending (a metric's step)
};

enum class DownsampleMethod { MinMax, Lttb };

/// "minmax" or "lttb"; glia::Error (InvalidArgument) naming both otherwise.
DownsampleMethod parse_downsample_method(const std::string& name);

/// The fewest points a downsampled series may ask for (first, last and one between).
inline constexpr size_t kMinDownsamplePoints = 3;

/// Min/max-preserving buckets: the first and the last point, and the points between cut into
/// (max_points - 2) / 2 buckets of equal count, each giving its lowest and highest y (in x
/// order; one point when they are the same), so every spike survives. NaN values are never
/// chosen as a bucket's extreme (a bucket of only NaN gives its first point). At most
/// max_points indices; every index when the series already fits.
std::vector<size_t> downsample_minmax(const std::vector<SeriesPoint>& points, size_t max_points);

/// The points a store summarizes per block (Store::metric_series_minmax): block k holds the
/// points k * kMinMaxBlock + 1 .. (k + 1) * kMinMaxBlock of the series (the first point apart).
inline constexpr size_t kMinMaxBlock = 512;

/// downsample_minmax with buckets made of whole blocks, what a store answers from its block
/// summaries without reading every point: the points between the first and the last are cut
/// into blocks of `block` points (the last block may be shorter), the blocks into (max_points -
/// 2) / 2 buckets of equal count of blocks, and each bucket gives its lowest and highest y as
/// downsample_minmax does; the first and the last point are always kept. When there are fewer
/// blocks than buckets it is downsample_minmax itself; when the buckets of downsample_minmax
/// are whole blocks (n - 2 a multiple of block * buckets) both give the same indices.
std::vector<size_t> downsample_minmax_blocks(const std::vector<SeriesPoint>& points,
                                             size_t max_points, size_t block = kMinMaxBlock);

/// Largest-Triangle-Three-Buckets (Steinarsson, 2013): the first and the last point and, from
/// each of max_points - 2 buckets, the point forming the largest triangle with the point kept
/// before it and the average of the next bucket. Exactly max_points indices when the series is
/// longer; every index otherwise. max_points below kMinDownsamplePoints is treated as that.
std::vector<size_t> downsample_lttb(const std::vector<SeriesPoint>& points, size_t max_points);

/// The method's indices.
std::vector<size_t> downsample(const std::vector<SeriesPoint>& points, size_t max_points,
                               DownsampleMethod method);

}  // namespace glia::platform

// Line charts of metric series, written as PNG or SVG (by the file's extension) with cairo.
#pragma once

#include <string>
#include <vector>

namespace glia::platform {

struct ChartSeries {
  std::string name;
  std::vector<double> x, y;
};

struct ChartOptions {
  std::string title;
  std::string x_label = "step";
  int width = 800, height = 480;
};

/// Throws glia::Error unless `path` ends in ".png" or ".svg" (check before doing other work).
void check_chart_path(const std::string& path);

/// Draws the series as lines with markers, axes with ticks, and a legend, into `path` (".png" or
/// ".svg"). The file appears atomically (written beside it, then renamed). Throws glia::Error for
/// another extension, no points, or a write failure.
void write_line_chart(const std::vector<ChartSeries>& series, const ChartOptions& options,
                      const std::string& path);

}  // namespace glia::platform

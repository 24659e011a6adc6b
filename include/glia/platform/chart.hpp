// Line charts of metric series, written as PNG or SVG (by the file's extension) with cairo.
#pragma once

#include <cstddef>
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

/// How series `index` is drawn: a colour of a 10-colour qualitative palette, then a dash pattern
/// (solid, dashed, dotted, dash-dot), then a marker (circle, square, triangle), so the first
/// max_chart_series() series never share a look. Throws glia::Error beyond that.
struct SeriesStyle {
  struct Rgb {
    double r, g, b;
    bool operator==(const Rgb&) const = default;
  } color;
  std::vector<double> dash;  // cairo dash lengths; empty: solid
  int marker = 0;            // 0 circle, 1 square, 2 triangle
  bool operator==(const SeriesStyle&) const = default;
};
SeriesStyle series_style(size_t index);
size_t max_chart_series();

/// About five "nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi]; with
/// `integer` (an axis of steps or epochs) only integers, at least 1 apart.
std::vector<double> chart_ticks(double lo, double hi, bool integer);

/// Throws glia::Error unless `path` ends in ".png" or ".svg" (check before doing other work).
void check_chart_path(const std::string& path);

/// Draws the series as lines with markers (series_style), axes with ticks (integers on the x axis
/// when every x is an integer), and a legend, into `path` (".png" or
/// ".svg"). The file appears atomically (written beside it, then renamed). Throws glia::Error for
/// another extension, no points, more than max_chart_series() series, or a write failure.
void write_line_chart(const std::vector<ChartSeries>& series, const ChartOptions& options,
                      const std::string& path);

}  // namespace glia::platform

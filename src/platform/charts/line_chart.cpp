#include <cairo-svg.h>
#include <cairo.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/chart.hpp"

namespace glia::platform {

namespace {

struct Rgb {
  double r, g, b;
};
// Matplotlib's default cycle, so charts look familiar to Keras users.
const Rgb kColors[] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
                       {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29}};

// About five "nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  const double span = hi - lo, raw = span / 5.0, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5   ? mag
                      : raw / mag < 3.5 ? 2 * mag
                      : raw / mag < 7.5 ? 5 * mag
                                        : 10 * mag;
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void draw(cairo_t* cr, const std::vector<ChartSeries>& series, const ChartOptions& o) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const double left = 70, right = o.width - 20.0, top = 40, bottom = o.height - 50.0;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y0) / (y1 - y0) * (bottom - top); };

  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  for (double t : ticks(y0, y1)) {  // horizontal grid and y labels
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, left, py(t));
    cairo_line_to(cr, right, py(t));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_text_extents_t e;
    cairo_text_extents(cr, label(t).c_str(), &e);
    cairo_move_to(cr, left - 8 - e.width, py(t) + e.height / 2);
    cairo_show_text(cr, label(t).c_str());
  }
  for (double t : ticks(x0, x1)) {  // x labels
    cairo_text_extents_t e;
    cairo_text_extents(cr, label(t).c_str(), &e);
    cairo_move_to(cr, px(t) - e.width / 2, bottom + 18);
    cairo_show_text(cr, label(t).c_str());
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);
  cairo_move_to(cr, (left + right) / 2 - 15, bottom + 38);
  cairo_show_text(cr, o.x_label.c_str());
  cairo_set_font_size(cr, 15);
  cairo_move_to(cr, left, top - 14);
  cairo_show_text(cr, o.title.c_str());

  cairo_set_font_size(cr, 12);
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kColors[k % std::size(kColors)];
    const auto& s = series[k];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 2);
    for (size_t i = 0; i < s.x.size(); ++i)
      (i ? cairo_line_to : cairo_move_to)(cr, px(s.x[i]), py(s.y[i]));
    cairo_stroke(cr);
    for (size_t i = 0; i < s.x.size(); ++i) {
      cairo_arc(cr, px(s.x[i]), py(s.y[i]), 3, 0, 2 * M_PI);
      cairo_fill(cr);
    }
  }
  // The legend, top right, on a box of its own so lines never run through its text.
  const double box_h = 10 + 18.0 * static_cast<double>(series.size());
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_rectangle(cr, right - 158, top + 4, 150, box_h);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kColors[k % std::size(kColors)];
    const double ly = top + 20 + 18.0 * static_cast<double>(k);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_rectangle(cr, right - 150, ly - 6, 14, 4);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, right - 130, ly);
    cairo_show_text(cr, series[k].name.c_str());
  }
}

}  // namespace

void check_chart_path(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext != ".png" && ext != ".svg")
    throw Error("chart '" + path + "': expected a .png or .svg file name");
}

void write_line_chart(const std::vector<ChartSeries>& series, const ChartOptions& o,
                      const std::string& path) {
  check_chart_path(path);
  const std::string ext = std::filesystem::path(path).extension().string();
  size_t points = 0;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size()) throw Error("chart series '" + s.name + "': x and y differ");
    points += s.x.size();
  }
  if (points == 0) throw Error("chart '" + path + "': nothing to draw");
  io::write_atomically(path, [&](const std::string& tmp) {
    cairo_surface_t* surface =
        ext == ".svg" ? cairo_svg_surface_create(tmp.c_str(), o.width, o.height)
                      : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, o.width, o.height);
    cairo_t* cr = cairo_create(surface);
    draw(cr, series, o);
    cairo_destroy(cr);
    cairo_status_t st = ext == ".png"
                            ? cairo_surface_write_to_png(surface, tmp.c_str())
                            : (cairo_surface_finish(surface), cairo_surface_status(surface));
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS)
      throw Error("chart '" + path + "': cannot write: " + cairo_status_to_string(st));
  });
}

}  // namespace glia::platform

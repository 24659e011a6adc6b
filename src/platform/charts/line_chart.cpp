// Line charts: Tableau 10 colours, then dashes, then markers, so no two series look alike;
// integer ticks on integer (step) axes.
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

// Tableau's 10-colour qualitative palette (matplotlib's "tab10", its default cycle, so charts
// look familiar to Keras users): ten colours told apart at a glance.
const SeriesStyle::Rgb kColors[] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};
// Then the dash varies (solid, dashed, dotted, dash-dot), then the marker.
const std::vector<double> kDashes[] = {{}, {8, 4}, {2, 3}, {8, 3, 2, 3}};
constexpr size_t kMarkers = 3;

void mark(cairo_t* cr, int marker, double x, double y) {
  switch (marker) {
    case 0:
      cairo_arc(cr, x, y, 3, 0, 2 * M_PI);
      break;
    case 1:
      cairo_rectangle(cr, x - 3, y - 3, 6, 6);
      break;
    default:
      cairo_move_to(cr, x, y - 4);
      cairo_line_to(cr, x + 3.5, y + 2.5);
      cairo_line_to(cr, x - 3.5, y + 2.5);
      cairo_close_path(cr);
  }
  cairo_fill(cr);
}

}  // namespace

size_t max_chart_series() {
  return std::size(kColors) * std::size(kDashes) * kMarkers;
}

SeriesStyle series_style(size_t index) {
  if (index >= max_chart_series())
    throw Error("a chart draws at most " + std::to_string(max_chart_series()) +
                " series apart; series " + std::to_string(index + 1) + " would repeat a look");
  const size_t colors = std::size(kColors), dashes = std::size(kDashes);
  return {kColors[index % colors], kDashes[(index / colors) % dashes],
          static_cast<int>(index / (colors * dashes))};
}

std::vector<double> chart_ticks(double lo, double hi, bool integer) {
  const double span = hi - lo, raw = span / 5.0, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = raw / mag < 1.5   ? mag
                : raw / mag < 3.5 ? 2 * mag
                : raw / mag < 7.5 ? 5 * mag
                                  : 10 * mag;
  if (integer) step = std::max(1.0, std::round(step));  // 1, 2, 5, 10, … and never below 1
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : integer ? std::round(t) : t);
  return out;
}

namespace {

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
  bool integer_x = true;  // steps, epochs: integer ticks only
  for (const auto& s : series)
    for (double x : s.x) integer_x = integer_x && std::floor(x) == x;
  for (double t : chart_ticks(y0, y1, false)) {  // horizontal grid and y labels
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
  for (double t : chart_ticks(x0, x1, integer_x)) {  // x labels
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
    const SeriesStyle st = series_style(k);
    const auto& s = series[k];
    cairo_set_source_rgb(cr, st.color.r, st.color.g, st.color.b);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, st.dash.data(), static_cast<int>(st.dash.size()), 0);
    for (size_t i = 0; i < s.x.size(); ++i)
      (i ? cairo_line_to : cairo_move_to)(cr, px(s.x[i]), py(s.y[i]));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    for (size_t i = 0; i < s.x.size(); ++i) mark(cr, st.marker, px(s.x[i]), py(s.y[i]));
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
    const SeriesStyle st = series_style(k);
    const double ly = top + 20 + 18.0 * static_cast<double>(k);
    cairo_set_source_rgb(cr, st.color.r, st.color.g, st.color.b);
    cairo_set_line_width(cr, 2);
    cairo_set_dash(cr, st.dash.data(), static_cast<int>(st.dash.size()), 0);
    cairo_move_to(cr, right - 152, ly - 4);
    cairo_line_to(cr, right - 134, ly - 4);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    mark(cr, st.marker, right - 143, ly - 4);
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
  if (series.size() > max_chart_series())
    throw Error("chart '" + path + "': " + std::to_string(series.size()) +
                " series; a chart draws at most " + std::to_string(max_chart_series()) +
                " apart (choose some with --name)");
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

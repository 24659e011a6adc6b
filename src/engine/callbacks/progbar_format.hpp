// Pure text helpers for the callbacks: Keras 3's progress bar lines (keras/src/utils/progbar.py)
// and the Python number formatting that Keras' logs, file names and CSV rows go through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glia::progbar {

/// Python's repr(float): the shortest text that reads back to `x` ("0.1", "1.0", "0.0001",
/// "1e-05", "1.5e+16", "nan", "inf", "-inf").
std::string python_repr(double x);

/// Python's format(x, spec) for specs of the form [sign][0][width][.precision][type] with type
/// d, f, F, e, E, g, G, % or none. `integer` says whether `x` stands for a Python int (which
/// takes "d" and no precision without a float type). Throws glia::Error for other specs.
std::string python_format(double x, std::string_view spec, bool integer);

/// A metric value as the bar shows it: "{:.4f}" when x > 1e-3 (|x| > 1e-3 with `use_abs`, as
/// verbose 1 does), else "{:.4e}"; NaN prints "nan".
std::string format_value(double x, bool use_abs);

/// Time per step with its leading space: " 2s/step" (>= 1 s or exactly 0), " 13ms/step",
/// " 352us/step".
std::string format_time_per_step(double seconds, std::string_view unit = "step");

/// Remaining time: "42s", "1:05" above 60 s, "1:01:05" above 3600 s (fields truncated).
std::string format_eta(double seconds);

/// "%{digits}d/%d": the step count right-aligned to the width of the target (" 12/1875").
std::string format_count(int64_t current, int64_t target);

/// Columns a line takes on a terminal: code points, skipping ANSI escape sequences (ESC [ ... m).
size_t display_width(std::string_view text);

/// Metric values in display order.
using Values = std::vector<std::pair<std::string, double>>;

/// One verbose-1 line without the redraw prefix, padding or newline: bold count, 20-wide bar
/// (green done, grey rest), then the ETA in bold mid-epoch (when target > 0 and not finalize) or
/// the elapsed seconds in bold, the time per step and " - key: value" for each value.
/// `target` <= 0 means unknown: the count prints as "%7d/Unknown" with no bar.
std::string bar_line(int64_t current, int64_t target, bool finalize, double elapsed,
                     double time_per_step, const Values& values);

/// The bytes of one terminal redraw: "\b" x prev_width, "\r", the line, spaces covering what is
/// left of the previous line, and "\n" when finalizing.
std::string redraw(const std::string& line, size_t prev_width, bool finalize);

/// The verbose-2 epoch line with its newline:
/// "1875/1875 - 2s - 1ms/step - accuracy: 0.8765 - loss: 0.4321\n".
std::string epoch_line(int64_t target, double elapsed, double time_per_step, const Values& values);

}  // namespace glia::progbar

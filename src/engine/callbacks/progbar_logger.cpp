// Keras 3's ProgbarLogger + Progbar (keras/src/callbacks/progbar_logger.py, utils/progbar.py):
// one bar per epoch, created at epoch begin, updated after each batch (verbose 1) and finalized
// with the epoch logs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>

#include "engine/callbacks/progbar_format.hpp"
#include "glia/callbacks.hpp"

namespace glia {
namespace {

constexpr double kInterval = 0.05;  // minimum seconds between two redraws
constexpr double kNever = -std::numeric_limits<double>::infinity();

double now_seconds() {
  using Clock = std::chrono::steady_clock;
  static const Clock::time_point origin = Clock::now();
  return std::chrono::duration<double>(Clock::now() - origin).count();
}

void write(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace

ProgbarLogger::ProgbarLogger(std::FILE* out)
    : out_(out != nullptr ? out : stdout), dynamic_(isatty(fileno(out_)) == 1) {}

void ProgbarLogger::on_train_begin(const Logs&) {
  seen_ = 0;
  prev_width_ = 0;
  order_.clear();
}

void ProgbarLogger::on_epoch_begin(int epoch, const Logs&) {
  start_ = now_seconds();
  last_update_ = kNever;
  after_first_step_ = kNever;
  seen_ = 0;
  prev_width_ = 0;
  order_.clear();
  if (params_.verbose > 0 && params_.epochs > 1) {
    write(out_, "Epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params_.epochs) + "\n");
  }
}

void ProgbarLogger::on_train_batch_end(int64_t batch, const Logs& logs) {
  seen_ = batch + 1;  // one-based; the final bar's count when the step count is unknown
  if (params_.verbose == 1) draw(seen_, logs, false);
}

void ProgbarLogger::on_epoch_end(int, const Logs& logs) {
  if (params_.verbose <= 0) return;
  draw(params_.steps > 0 ? params_.steps : seen_, logs, true);
}

void ProgbarLogger::draw(int64_t current, const Logs& logs, bool finalize) {
  for (const auto& entry : logs) {
    if (std::find(order_.begin(), order_.end(), entry.first) == order_.end()) {
      order_.push_back(entry.first);
    }
  }
  seen_ = current;
  double now = now_seconds();

  // Time per step, leaving out the first step once it is known.
  double per_step = 0;
  if (current > 0) {
    per_step = after_first_step_ != kNever && current > 1
                   ? (now - after_first_step_) / static_cast<double>(current - 1)
                   : (now - start_) / static_cast<double>(current);
    if (current == 1) after_first_step_ = now;
  }

  progbar::Values values;
  for (const auto& key : order_) {
    auto it = logs.find(key);
    if (it != logs.end()) values.emplace_back(key, it->second);
  }
  int64_t target = finalize && params_.steps <= 0 ? current : params_.steps;

  if (params_.verbose == 1) {
    bool last_step = target > 0 && current >= target;
    if (!finalize && !last_step && now - last_update_ < kInterval) return;
    // Off a terminal only the finished bar is printed, once per epoch.
    if (dynamic_ || finalize) {
      std::string line =
          progbar::bar_line(current, target, finalize, now - start_, per_step, values);
      write(out_, dynamic_ ? progbar::redraw(line, prev_width_, finalize) : line + "\n");
      prev_width_ = progbar::display_width(line);
    }
  } else if (params_.verbose == 2 && finalize && target > 0) {
    write(out_, progbar::epoch_line(target, now - start_, per_step, values));
  }
  last_update_ = now;
}

}  // namespace glia

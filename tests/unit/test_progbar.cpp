// Keras 3's progress output, byte for byte: the formatting helpers and ProgbarLogger.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>

#include "engine/callbacks/progbar_format.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"

namespace glia {
namespace {

using progbar::Values;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::string blocks(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "\u2501";
  return s;
}

TEST(ProgbarFormat, PythonRepr) {
  EXPECT_EQ(progbar::python_repr(0.1), "0.1");
  EXPECT_EQ(progbar::python_repr(1.0), "1.0");
  EXPECT_EQ(progbar::python_repr(0.0), "0.0");
  EXPECT_EQ(progbar::python_repr(-0.0), "-0.0");
  EXPECT_EQ(progbar::python_repr(-2.5), "-2.5");
  EXPECT_EQ(progbar::python_repr(123.456), "123.456");
  EXPECT_EQ(progbar::python_repr(0.0001), "0.0001");
  EXPECT_EQ(progbar::python_repr(1e-05), "1e-05");
  EXPECT_EQ(progbar::python_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(progbar::python_repr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(progbar::python_repr(1e16), "1e+16");
  EXPECT_EQ(progbar::python_repr(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(progbar::python_repr(1e300), "1e+300");
  EXPECT_EQ(progbar::python_repr(2.5e-300), "2.5e-300");
  EXPECT_EQ(progbar::python_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(progbar::python_repr(static_cast<double>(0.4321f)), "0.43209999799728394");
  EXPECT_EQ(progbar::python_repr(kNaN), "nan");
  EXPECT_EQ(progbar::python_repr(kInf), "inf");
  EXPECT_EQ(progbar::python_repr(-kInf), "-inf");
}

TEST(ProgbarFormat, PythonFormat) {
  EXPECT_EQ(progbar::python_format(3, "02d", true), "03");
  EXPECT_EQ(progbar::python_format(12, "02d", true), "12");
  EXPECT_EQ(progbar::python_format(7, "5d", true), "    7");
  EXPECT_EQ(progbar::python_format(7, "", true), "7");
  EXPECT_EQ(progbar::python_format(3, ".2f", true), "3.00");
  EXPECT_EQ(progbar::python_format(0.123456, ".2f", false), "0.12");
  EXPECT_EQ(progbar::python_format(0.5, "", false), "0.5");
  EXPECT_EQ(progbar::python_format(0.000123, ".4e", false), "1.2300e-04");
  EXPECT_EQ(progbar::python_format(0.5, ".1%", false), "50.0%");
  EXPECT_EQ(progbar::python_format(-1.5, "08.2f", false), "-0001.50");
  EXPECT_EQ(progbar::python_format(2.0, "+.1f", false), "+2.0");
  EXPECT_EQ(progbar::python_format(0.1, " .2f", false), " 0.10");
  EXPECT_EQ(progbar::python_format(-0.0, ".2f", false), "-0.00");
  EXPECT_EQ(progbar::python_format(1.0, ".3", false), "1.0");
  EXPECT_EQ(progbar::python_format(1234.5, ".2", false), "1.2e+03");
  EXPECT_EQ(progbar::python_format(1e-5, "g", false), "1e-05");
  EXPECT_EQ(progbar::python_format(kNaN, ".2f", false), "nan");
  EXPECT_EQ(progbar::python_format(kInf, ".5f", false), "inf");
  EXPECT_EQ(progbar::python_format(-kInf, ".5f", false), "-inf");
  EXPECT_THROW(progbar::python_format(3, ".2d", true), Error);
  EXPECT_THROW(progbar::python_format(3.0, "d", false), Error);
  EXPECT_THROW(progbar::python_format(3.0, "x", false), Error);
  EXPECT_THROW(progbar::python_format(3.0, "<5", false), Error);
  EXPECT_THROW(progbar::python_format(3.0, ".f", false), Error);
}

TEST(ProgbarFormat, ValueThresholds) {
  EXPECT_EQ(progbar::format_value(0.4321, true), "0.4321");
  EXPECT_EQ(progbar::format_value(0.0011, true), "0.0011");
  EXPECT_EQ(progbar::format_value(0.001, true), "1.0000e-03");  // not above 1e-3
  EXPECT_EQ(progbar::format_value(0.0005, false), "5.0000e-04");
  EXPECT_EQ(progbar::format_value(0.0, true), "0.0000e+00");
  EXPECT_EQ(progbar::format_value(12345.678, true), "12345.6780");
  // verbose 1 compares |x|, verbose 2 compares x.
  EXPECT_EQ(progbar::format_value(-0.5, true), "-0.5000");
  EXPECT_EQ(progbar::format_value(-0.5, false), "-5.0000e-01");
  EXPECT_EQ(progbar::format_value(kNaN, true), "nan");
  EXPECT_EQ(progbar::format_value(kNaN, false), "nan");
  EXPECT_EQ(progbar::format_value(kInf, false), "inf");
  EXPECT_EQ(progbar::format_value(-kInf, true), "-inf");
}

TEST(ProgbarFormat, TimePerStep) {
  EXPECT_EQ(progbar::format_time_per_step(0), " 0s/step");
  EXPECT_EQ(progbar::format_time_per_step(1.0), " 1s/step");
  EXPECT_EQ(progbar::format_time_per_step(2.4), " 2s/step");
  EXPECT_EQ(progbar::format_time_per_step(0.9996), " 1000ms/step");
  EXPECT_EQ(progbar::format_time_per_step(0.0123), " 12ms/step");
  EXPECT_EQ(progbar::format_time_per_step(1e-3), " 1ms/step");
  EXPECT_EQ(progbar::format_time_per_step(0.000352), " 352us/step");
  EXPECT_EQ(progbar::format_time_per_step(0.25, "sample"), " 250ms/sample");
}

TEST(ProgbarFormat, Eta) {
  EXPECT_EQ(progbar::format_eta(0), "0s");
  EXPECT_EQ(progbar::format_eta(59.9), "59s");
  EXPECT_EQ(progbar::format_eta(60), "60s");
  EXPECT_EQ(progbar::format_eta(61), "1:01");
  EXPECT_EQ(progbar::format_eta(125.7), "2:05");
  EXPECT_EQ(progbar::format_eta(3600), "60:00");
  EXPECT_EQ(progbar::format_eta(3661), "1:01:01");
  EXPECT_EQ(progbar::format_eta(7325.5), "2:02:05");
}

TEST(ProgbarFormat, CountAndWidth) {
  EXPECT_EQ(progbar::format_count(5, 1875), "   5/1875");
  EXPECT_EQ(progbar::format_count(1875, 1875), "1875/1875");
  EXPECT_EQ(progbar::format_count(1, 1), "1/1");
  EXPECT_EQ(progbar::format_count(3, 100), "  3/100");
  EXPECT_EQ(progbar::format_count(10, 10), "10/10");
  EXPECT_EQ(progbar::display_width("abc"), 3u);
  EXPECT_EQ(progbar::display_width(blocks(2)), 2u);
  EXPECT_EQ(progbar::display_width("\x1b[1mab\x1b[0m \x1b[32m" + blocks(3) + "\x1b[0m"), 6u);
}

TEST(ProgbarFormat, BarAtZeroPercent) {
  EXPECT_EQ(progbar::bar_line(0, 1875, false, 0, 0, {}),
            "\x1b[1m   0/1875\x1b[0m \x1b[37m" + blocks(20) + "\x1b[0m \x1b[1m0s\x1b[0m 0s/step");
}

TEST(ProgbarFormat, BarAtFiftyPercent) {
  Values values{{"accuracy", 0.5}, {"loss", 1.25}};
  // ETA = 0.5 s/step x 10 steps left.
  EXPECT_EQ(progbar::bar_line(10, 20, false, 5.0, 0.5, values),
            "\x1b[1m10/20\x1b[0m \x1b[32m" + blocks(10) + "\x1b[0m\x1b[37m" + blocks(10) +
                "\x1b[0m \x1b[1m5s\x1b[0m 500ms/step - accuracy: 0.5000 - loss: 1.2500");
  // int(20 * 1/3) = 6 green blocks; a long ETA.
  EXPECT_EQ(progbar::bar_line(1, 3, false, 0, 5000, {}),
            "\x1b[1m1/3\x1b[0m \x1b[32m" + blocks(6) + "\x1b[0m\x1b[37m" + blocks(14) +
                "\x1b[0m \x1b[1m2:46:40\x1b[0m 5000s/step");
}

TEST(ProgbarFormat, BarAtHundredPercentMatchesKeras) {
  Values values{
      {"accuracy", 0.8765}, {"loss", 0.4321}, {"val_accuracy", 0.9012}, {"val_loss", 0.3456}};
  std::string line = progbar::bar_line(1875, 1875, true, 2.2, 0.0012, values);
  EXPECT_EQ(line, "\x1b[1m1875/1875\x1b[0m \x1b[32m" + blocks(20) +
                      "\x1b[0m\x1b[37m\x1b[0m \x1b[1m2s\x1b[0m 1ms/step - accuracy: 0.8765 - "
                      "loss: 0.4321 - val_accuracy: 0.9012 - val_loss: 0.3456");
  EXPECT_EQ(progbar::display_width(line), 118u);
  EXPECT_EQ(progbar::redraw(line, 0, true), "\r" + line + "\n");
}

TEST(ProgbarFormat, UnknownTarget) {
  EXPECT_EQ(progbar::bar_line(5, 0, false, 1.2, 0.25, {{"loss", 0.5}}),
            "      5/Unknown \x1b[1m1s\x1b[0m 250ms/step - loss: 0.5000");
}

TEST(ProgbarFormat, Redraw) {
  EXPECT_EQ(progbar::redraw("abc", 0, false), "\rabc");
  EXPECT_EQ(progbar::redraw("abcdef", 3, false), "\b\b\b\rabcdef");
  EXPECT_EQ(progbar::redraw("ab", 5, true), "\b\b\b\b\b\rab   \n");
  // Padding counts columns, not the bytes of escapes and blocks.
  std::string bar = "\x1b[1m" + blocks(2) + "\x1b[0m";
  EXPECT_EQ(progbar::redraw(bar, 4, false), "\b\b\b\b\r" + bar + "  ");
}

TEST(ProgbarFormat, EpochLine) {
  Values values{
      {"accuracy", 0.8765}, {"loss", 0.4321}, {"val_accuracy", 0.9012}, {"val_loss", 0.3456}};
  EXPECT_EQ(progbar::epoch_line(1200, 1.4, 0.000352, values),
            "1200/1200 - 1s - 352us/step - accuracy: 0.8765 - loss: 0.4321 - val_accuracy: "
            "0.9012 - val_loss: 0.3456\n");
  EXPECT_EQ(progbar::epoch_line(1875, 2.0, 0.0011, values),
            "1875/1875 - 2s - 1ms/step - accuracy: 0.8765 - loss: 0.4321 - val_accuracy: "
            "0.9012 - val_loss: 0.3456\n");
  EXPECT_EQ(progbar::epoch_line(7, 65.0, 9.3, {{"loss", 0.0005}, {"x", -0.5}}),
            "7/7 - 65s - 9s/step - loss: 5.0000e-04 - x: -5.0000e-01\n");
}

// ---- ProgbarLogger into a temporary file ----

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

// Runs `epochs` epochs of `steps` batches through the logger and returns what it wrote.
void run_logger(ProgbarLogger& logger, TrainParams params, int64_t batch_steps = -1,
                int sleep_ms = 0) {
  logger.set_params(params);
  logger.on_train_begin({});
  if (batch_steps < 0) batch_steps = params.steps;
  for (int epoch = 0; epoch < params.epochs; ++epoch) {
    logger.on_epoch_begin(epoch, {});
    for (int64_t b = 0; b < batch_steps; ++b) {
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
      logger.on_train_batch_end(b, {{"accuracy", 0.5}, {"loss", 0.25}});
    }
    logger.on_epoch_end(epoch, {{"accuracy", 0.5}, {"loss", 0.25}, {"val_loss", 0.0005}});
  }
  logger.on_train_end({});
}

struct TmpFile {
  std::FILE* f = std::tmpfile();
  ~TmpFile() {
    if (f != nullptr) std::fclose(f);
  }
};

// Replaces each time per step ("352us/step", "1ms/step", "0s/step") with "T/step", the one part
// of the output that depends on the clock.
std::string mask_step_times(const std::string& s) {
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = s.find("/step", pos)) != std::string::npos; pos = at + 5) {
    size_t begin = at;
    while (begin > pos && std::isalpha(static_cast<unsigned char>(s[begin - 1]))) --begin;
    while (begin > pos && std::isdigit(static_cast<unsigned char>(s[begin - 1]))) --begin;
    out += s.substr(pos, begin - pos) + "T/step";
  }
  return out + s.substr(pos);
}

TEST(ProgbarLogger, Verbose2PrintsOneLinePerEpoch) {
  TmpFile tmp;
  ASSERT_NE(tmp.f, nullptr);
  ProgbarLogger logger(tmp.f);
  run_logger(logger, {2, 3, 2});
  std::string line = "3/3 - 0s - T/step - accuracy: 0.5000 - loss: 0.2500 - val_loss: 5.0000e-04\n";
  EXPECT_EQ(mask_step_times(read_all(tmp.f)), "Epoch 1/2\n" + line + "Epoch 2/2\n" + line);
}

TEST(ProgbarLogger, SingleEpochHasNoEpochLine) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);
  run_logger(logger, {1, 12, 2});
  EXPECT_EQ(mask_step_times(read_all(tmp.f)),
            "12/12 - 0s - T/step - accuracy: 0.5000 - loss: 0.2500 - val_loss: 5.0000e-04\n");
}

TEST(ProgbarLogger, Verbose2UnknownStepsUsesStepsSeen) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);
  run_logger(logger, {1, 0, 2}, 4);
  EXPECT_EQ(read_all(tmp.f).rfind("4/4 - 0s - ", 0), 0u);
}

TEST(ProgbarLogger, Verbose0IsSilent) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);
  run_logger(logger, {3, 5, 0});
  EXPECT_EQ(read_all(tmp.f), "");
}

// The finished bar of a 3-step epoch with the logs run_logger() passes.
std::string final_bar() {
  return "\x1b[1m3/3\x1b[0m \x1b[32m" + blocks(20) +
         "\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m T/step - accuracy: 0.5000 - loss: 0.2500 - "
         "val_loss: 5.0000e-04";
}

TEST(ProgbarLogger, Verbose1OffTerminalPrintsTheFinalBarOnly) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);  // a file is not a terminal
  run_logger(logger, {2, 3, 1});
  std::string out = read_all(tmp.f);
  EXPECT_EQ(mask_step_times(out),
            "Epoch 1/2\n" + final_bar() + "\nEpoch 2/2\n" + final_bar() + "\n");
  EXPECT_EQ(out.find_first_of("\b\r"), std::string::npos);
}

// Splits terminal output into redraws: each starts with "\b"*previous width and "\r".
TEST(ProgbarLogger, Verbose1TerminalRedrawsTheBar) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);
  logger.set_dynamic_display(true);
  run_logger(logger, {1, 3, 1}, 3, 60);  // 60 ms apart: past the 0.05 s throttle
  std::string out = read_all(tmp.f);
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out[0], '\r');
  ASSERT_EQ(out.back(), '\n');
  std::vector<std::string> draws;
  size_t pos = 1;
  while (pos <= out.size()) {
    size_t next = out.find('\r', pos);
    draws.push_back(out.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  ASSERT_EQ(draws.size(), 4u) << out;  // steps 1, 2, 3 and the final bar
  EXPECT_EQ(draws[0].rfind("\x1b[1m1/3\x1b[0m \x1b[32m" + blocks(6) + "\x1b[0m\x1b[37m" +
                               blocks(14) + "\x1b[0m \x1b[1m0s\x1b[0m ",
                           0),
            0u)
      << draws[0];
  EXPECT_NE(draws[1].find(blocks(13)), std::string::npos);
  // The final bar (padded if the previous draw was wider) and its newline.
  std::string last = mask_step_times(draws[3]);
  ASSERT_EQ(last.rfind(final_bar(), 0), 0u) << last;
  EXPECT_EQ(last.find_first_not_of(' ', final_bar().size()), last.size() - 1);
  EXPECT_EQ(last.back(), '\n');
  // Each redraw backs over exactly the columns the previous one drew.
  for (size_t i = 0; i + 1 < draws.size(); ++i) {
    size_t backs = draws[i].size() - draws[i].find_last_not_of('\b') - 1;
    std::string line = draws[i].substr(0, draws[i].size() - backs);
    EXPECT_EQ(backs, progbar::display_width(line)) << i;
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(ProgbarLogger, Verbose1TerminalThrottlesRedraws) {
  TmpFile tmp;
  ProgbarLogger logger(tmp.f);
  logger.set_dynamic_display(true);
  run_logger(logger, {1, 1000, 1});  // 1000 batches in well under 0.05 s each
  std::string out = read_all(tmp.f);
  size_t redraws = 0;
  for (char c : out) redraws += c == '\r';
  EXPECT_GE(redraws, 3u);    // the first step, the last step and the final bar at least
  EXPECT_LT(redraws, 500u);  // far fewer than the 1000 batches
  // The last batch always draws (at 100% with an ETA), then the epoch end finalizes.
  size_t full = 0;
  for (size_t at = out.find("1000/1000"); at != std::string::npos;
       at = out.find("1000/1000", at + 1)) {
    ++full;
  }
  EXPECT_EQ(full, 2u);
}

}  // namespace
}  // namespace glia

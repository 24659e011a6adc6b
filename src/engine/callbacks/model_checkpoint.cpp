// Keras 3's ModelCheckpoint (keras/src/callbacks/model_checkpoint.py), saving once per epoch
// through a pluggable save function.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "engine/callbacks/progbar_format.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/model.hpp"

namespace glia {
namespace {

// mode "max", or "auto" on a name containing "acc" or "auc" (accuracy, val_auc ...).
bool maximizes(std::string mode, const std::string& monitor) {
  if (mode != "auto" && mode != "min" && mode != "max") {
    std::fprintf(stderr, "ModelCheckpoint mode '%s' is unknown, fallback to auto mode.\n",
                 mode.c_str());
    mode = "auto";
  }
  if (mode != "auto") return mode == "max";
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

void say(const std::string& message) {
  std::printf("\n%s\n", message.c_str());
  std::fflush(stdout);
}

}  // namespace

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options, SaveFn save)
    : o_(std::move(options)), save_(std::move(save)) {
  if (o_.filepath.empty()) throw Error("ModelCheckpoint: the filepath is empty");
  if (!save_) throw Error("ModelCheckpoint: the save function is empty");
  maximize_ = maximizes(o_.mode, o_.monitor);
}

std::string ModelCheckpoint::format_path(const std::string& pattern, int epoch, const Logs& logs) {
  auto fail = [&](const std::string& why) {
    return Error("ModelCheckpoint: cannot format the filepath \"" + pattern + "\": " + why);
  };
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '}') {
      if (i + 1 == pattern.size() || pattern[i + 1] != '}') throw fail("single '}'");
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) throw fail("unmatched '{'");
    std::string field = pattern.substr(i + 1, close - i - 1);
    size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    double value = epoch + 1;
    bool integer = name == "epoch";
    if (!integer) {
      auto it = logs.find(name);
      if (it == logs.end()) {
        std::string keys = "epoch";
        for (const auto& entry : logs) keys += ", " + entry.first;
        throw fail("no value named '" + name + "' (have " + keys + ")");
      }
      value = it->second;
    }
    try {
      out += progbar::python_format(value, spec, integer);
    } catch (const Error& e) {
      throw fail(e.what());
    }
    i = close;
  }
  return out;
}

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
  if (params_.rank != 0) return;  // data-parallel: the weights are equal, rank 0 saves them
  std::string path = format_path(o_.filepath, epoch, logs);
  std::string prefix = "Epoch " + std::to_string(epoch + 1) + ": ";
  if (o_.save_best_only) {
    auto it = logs.find(o_.monitor);
    if (it == logs.end()) {
      std::fprintf(stderr, "Warning: can save best model only with %s available.\n",
                   o_.monitor.c_str());
    } else {
      double current = it->second;
      double inf = std::numeric_limits<double>::infinity();
      double best = best_.value_or(maximize_ ? -inf : inf);
      std::string best_str = progbar::python_format(best, ".5f", false);
      if (!(maximize_ ? current > best : current < best)) {
        if (o_.verbose > 0) say(prefix + o_.monitor + " did not improve from " + best_str);
        return;
      }
      if (o_.verbose > 0) {
        say(prefix + o_.monitor + " improved from " + best_str + " to " +
            progbar::python_format(current, ".5f", false) + ", saving model to " + path);
      }
      best_ = current;
    }
  } else if (o_.verbose > 0) {
    say(prefix + "saving model to " + path);
  }
  if (model_ == nullptr) throw Error("ModelCheckpoint: no model set (call set_model)");
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw Error("ModelCheckpoint: cannot create the directory '" + parent.string() +
                  "': " + ec.message());
    }
  }
  save_(*model_, path);
  if (o_.verbose > 0) say(prefix + "finished saving model to " + path);
}

}  // namespace glia

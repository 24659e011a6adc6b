// Keras' CSVLogger (keras/src/callbacks/csv_logger.py): "epoch" then the sorted log keys, one row
// per epoch (0-based epoch, Python repr values, "NA" for a missing key), rows ended with "\r\n"
// like Python's csv module, flushed as they are written.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "engine/callbacks/progbar_format.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"

namespace glia {
namespace {

// Python csv's QUOTE_MINIMAL: quote a field holding the separator, a quote or a line break.
std::string field(const std::string& text, char sep) {
  if (text.find_first_of(std::string{sep, '"', '\r', '\n'}) == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void write_row(std::FILE* file, const std::vector<std::string>& fields, char sep) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += sep;
    line += field(fields[i], sep);
  }
  line += "\r\n";
  std::fwrite(line.data(), 1, line.size(), file);
  std::fflush(file);
}

}  // namespace

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), sep_(separator), append_(append) {}

CSVLogger::~CSVLogger() {
  if (file_ != nullptr) std::fclose(file_);
}

void CSVLogger::on_train_begin(const Logs&) {
  if (params_.rank != 0) return;  // data-parallel: rank 0 writes the file
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(filename_.c_str(), append_ ? "a" : "w");
  if (file_ == nullptr) {
    throw Error("CSVLogger: cannot open '" + filename_ + "' for writing: " + std::strerror(errno));
  }
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
  if (params_.rank != 0) return;
  if (file_ == nullptr) on_train_begin({});
  if (keys_.empty()) {
    for (const auto& entry : logs) keys_.push_back(entry.first);
    // The header goes only into an empty file (a non-empty one is being appended to).
    std::fseek(file_, 0, SEEK_END);
    if (std::ftell(file_) == 0) {
      std::vector<std::string> header{"epoch"};
      header.insert(header.end(), keys_.begin(), keys_.end());
      write_row(file_, header, sep_);
    }
  }
  std::vector<std::string> row{std::to_string(epoch)};
  for (const auto& key : keys_) {
    auto it = logs.find(key);
    row.push_back(it == logs.end() ? "NA" : progbar::python_repr(it->second));
  }
  write_row(file_, row, sep_);
}

void CSVLogger::on_train_end(const Logs&) {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

}  // namespace glia

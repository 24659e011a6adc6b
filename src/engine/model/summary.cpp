// Keras 3's model.summary() table.
#include <algorithm>
#include <cstdio>

#include "glia/model.hpp"

namespace glia {

namespace {

std::string thousands(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string memory_size(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

size_t code_points(const std::string& text) {
  size_t len = 0;
  for (unsigned char c : text) len += (c & 0xC0) != 0x80;
  return len;
}

// Pads `text` (counted in code points) to `width`, left- or right-aligned.
std::string pad(const std::string& text, size_t width, bool right = false) {
  const size_t len = code_points(text);
  std::string fill(width > len ? width - len : 0, ' ');
  return right ? fill + text : text + fill;
}

// The first n code points of text.
std::string prefix(const std::string& text, size_t n) {
  size_t i = 0;
  for (size_t seen = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && seen++ == n) break;
  return text.substr(0, i);
}

// Rich's cell wrapping (Keras renders the table with rich, overflow "ellipsis"): words keep the
// spaces that follow them, a line breaks before a word that would run past the width, trailing
// spaces are dropped, and a line still too long (one long word) is cut to width-1 code points
// plus "…".
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines(1);
  size_t pos = 0;
  for (size_t i = 0; i < text.size();) {
    size_t end = text.find(' ', i);
    end = end == std::string::npos ? text.size() : text.find_first_not_of(' ', end);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(i, end - i);
    const std::string bare = word.substr(0, word.find_last_not_of(' ') + 1);
    if (pos > 0 && pos + code_points(bare) > width) {
      lines.emplace_back();
      pos = 0;
    }
    lines.back() += word;
    pos += code_points(word);
    i = end;
  }
  for (std::string& line : lines) {
    line.erase(line.find_last_not_of(' ') + 1);
    if (code_points(line) > width) line = prefix(line, width - 1) + "…";
  }
  return lines;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

std::string Model::summary() const {
  // Keras prints a functional model whose layers form a chain like a Sequential one (three
  // columns), but with its InputLayer row. Column widths are those Keras gets on a non-terminal
  // stdout (80 columns assumed: line length 76).
  const bool sequential = class_name() == "Sequential";
  bool functional = false;
  for (const auto& n : nodes_) functional = functional || n->inputs.size() > 1;
  std::vector<size_t> widths =
      functional ? std::vector<size_t>{19, 17, 10, 17} : std::vector<size_t>{31, 22, 13};
  std::vector<std::string> head = {"Layer (type)", "Output Shape", "Param #"};
  if (functional) head.push_back("Connected to");
  auto rule = [&](const char* l, const char* m, const char* r, const char* fill) {
    std::string s = l;
    for (size_t i = 0; i < widths.size(); ++i)
      s += repeat(fill, widths[i] + 2) + (i + 1 < widths.size() ? m : r);
    return s + "\n";
  };
  auto row = [&](const std::vector<std::string>& cells, const char* sep) {
    std::vector<std::vector<std::string>> wrapped;
    size_t height = 1;
    for (size_t i = 0; i < widths.size(); ++i) {
      wrapped.push_back(wrap(cells[i], widths[i]));
      height = std::max(height, wrapped.back().size());
    }
    std::string s;
    for (size_t line = 0; line < height; ++line) {
      s += sep;
      for (size_t i = 0; i < widths.size(); ++i)
        s += " " + pad(line < wrapped[i].size() ? wrapped[i][line] : "", widths[i], i == 2) + " " +
             sep;
      s += "\n";
    }
    return s;
  };
  std::string out = "Model: \"" + name_ + "\"\n";
  out += rule("┏", "┳", "┓", "━");
  out += row(head, "┃");
  out += rule("┡", "╇", "┩", "━");
  const size_t first = sequential ? 1 : 0;
  for (size_t i = first; i < nodes_.size(); ++i) {
    const auto& n = nodes_[i];
    std::vector<std::string> cells = {n->layer->name() + " (" + n->layer->class_name() + ")",
                                      shape_str(n->shape, true),
                                      thousands(n->layer->count_params())};
    if (functional) {
      std::string conn = n->inputs.empty() ? "-" : "";
      for (size_t k = 0; k < n->inputs.size(); ++k)
        conn += (k ? ", " : "") + n->inputs[k]->layer->name() + "[0][0]";
      cells.push_back(conn);
    }
    out += row(cells, "│");
    if (i + 1 < nodes_.size()) out += rule("├", "┼", "┤", "─");
  }
  out += rule("└", "┴", "┘", "─");
  const int64_t total = count_params(), frozen = count_non_trainable_params();
  const int64_t trainable = total - frozen;
  out += " Total params: " + thousands(total) + " (" + memory_size(total * 4) + ")\n";
  out += " Trainable params: " + thousands(trainable) + " (" + memory_size(trainable * 4) + ")\n";
  out += " Non-trainable params: " + thousands(frozen) + " (" + memory_size(frozen * 4) + ")\n";
  return out;
}

}  // namespace glia

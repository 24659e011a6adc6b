// Keras 3's model.summary() table.
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

// Pads `text` (counted in code points) to `width`, left- or right-aligned.
std::string pad(const std::string& text, size_t width, bool right = false) {
  size_t len = 0;
  for (unsigned char c : text) len += (c & 0xC0) != 0x80;
  std::string fill(width > len ? width - len : 0, ' ');
  return right ? fill + text : text + fill;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

std::string Model::summary() const {
  const bool functional = class_name() != "Sequential";
  std::vector<size_t> widths =
      functional ? std::vector<size_t>{31, 22, 11, 22} : std::vector<size_t>{31, 22, 13};
  std::vector<std::string> head = {"Layer (type)", "Output Shape", "Param #"};
  if (functional) head.push_back("Connected to");
  auto rule = [&](const char* l, const char* m, const char* r, const char* fill) {
    std::string s = l;
    for (size_t i = 0; i < widths.size(); ++i)
      s += repeat(fill, widths[i] + 2) + (i + 1 < widths.size() ? m : r);
    return s + "\n";
  };
  auto row = [&](const std::vector<std::string>& cells, const char* sep) {
    std::string s = sep;
    for (size_t i = 0; i < widths.size(); ++i)
      s += " " + pad(cells[i], widths[i], i == 2) + " " + sep;
    return s + "\n";
  };
  std::string out = "Model: \"" + name_ + "\"\n";
  out += rule("┏", "┳", "┓", "━");
  out += row(head, "┃");
  out += rule("┡", "╇", "┩", "━");
  const size_t first = functional ? 0 : 1;
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
  const int64_t total = count_params();
  out += " Total params: " + thousands(total) + " (" + memory_size(total * 4) + ")\n";
  out += " Trainable params: " + thousands(total) + " (" + memory_size(total * 4) + ")\n";
  out += " Non-trainable params: 0 (0.00 B)\n";
  return out;
}

}  // namespace glia

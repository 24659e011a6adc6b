// The NumPy .npy reader: the header is a Python dict literal; the data follows in C order.
#include <cstring>
#include <fstream>
#include <regex>

#include "glia/data.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia {

Tensor read_npy(const std::string& path, float uint8_scale) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw Error(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw Error(path + ": truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw Error(path + ": truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    throw Error(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw Error(path + ": header too large");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw Error(path + ": truncated header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    throw Error(path + ": header has no descr");
  const std::string descr = m[1];
  if (std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)")))
    throw Error(path + ": Fortran-order arrays are not supported (save with C order)");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw Error(path + ": header has no shape");
  Shape shape;
  const std::string dims = m[1];
  const std::regex digits(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), digits);
       it != std::sregex_iterator(); ++it) {
    const std::string d = (*it)[0];
    if (d.size() > 12) throw Error(path + ": dimension too large");
    shape.push_back(std::stoll(d));
  }
  size_t width;
  if (descr == "<f4")
    width = 4;
  else if (descr == "<f8")
    width = 8;
  else if (descr == "|u1" || descr == "<u1")
    width = 1;
  else
    throw Error(path + ": dtype " + quote_bytes(descr, 40) +
                " is not supported (expected float32, float64 or uint8)");
  double n = 1;
  for (int64_t d : shape) n *= static_cast<double>(d);
  const auto pos = in.tellg();
  in.seekg(0, std::ios::end);
  const double available = static_cast<double>(in.tellg() - pos);
  in.seekg(pos);
  if (n * static_cast<double>(width) != available)
    throw Error(path + ": expected " + std::to_string(static_cast<int64_t>(n * width)) +
                " data bytes for shape " + shape_str(shape) + ", found " +
                std::to_string(static_cast<int64_t>(available)));
  Tensor t(shape);
  const auto count = static_cast<size_t>(t.size());
  if (width == 4) {
    in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(count * 4));
  } else {
    std::vector<char> buf(count * width);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    for (size_t i = 0; i < count; ++i) {
      if (width == 8) {
        double v;
        std::memcpy(&v, buf.data() + i * 8, 8);
        t[static_cast<int64_t>(i)] = static_cast<float>(v);
      } else {
        t[static_cast<int64_t>(i)] =
            static_cast<float>(static_cast<unsigned char>(buf[i])) * uint8_scale;
      }
    }
  }
  if (!in) throw Error(path + ": truncated data");
  return t;
}

}  // namespace glia

// Test helpers: a self-deleting temp folder and byte-level builders for IDX and gzip files, so
// tests can make good and deliberately broken inputs without any data on disk.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "glia/data.hpp"
#include "glia/error.hpp"

namespace glia::fixtures {

using Bytes = std::vector<uint8_t>;

/// A fresh folder under the test temp dir, named after the running test; removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "glia";
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("glia_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Path of `relative` inside the folder (parent folders are created).
  std::string file(const std::string& relative) const {
    std::filesystem::path p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("write_bytes: cannot write " + path);
}

inline Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// IDX header (magic, `type`, dims as big-endian uint32) followed by `payload`.
inline Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& payload,
                       uint8_t type = 0x08) {
  Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

/// One gzip member holding `data`.
inline Bytes gzip_bytes(const Bytes& data) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip_bytes: deflateInit2 failed");
  Bytes out(deflateBound(&z, data.size()) + 32);
  z.next_in = const_cast<uint8_t*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip_bytes: deflate failed");
  return out;
}

/// `n` bytes of a deterministic pattern (every value 0..255 appears).
inline Bytes pattern(size_t n, uint8_t seed = 0) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((i * 7 + seed) % 256);
  return out;
}

/// An images array {count, rows, cols} whose pixel k of image i is (i * 31 + k) % 256.
inline IdxArray make_images(int64_t count, int64_t rows, int64_t cols) {
  IdxArray a{{count, rows, cols}, Bytes(static_cast<size_t>(count * rows * cols))};
  for (int64_t i = 0; i < count; ++i)
    for (int64_t k = 0; k < rows * cols; ++k)
      a.data[i * rows * cols + k] = static_cast<uint8_t>((i * 31 + k) % 256);
  return a;
}

/// A labels array {count} with label i = i % classes.
inline IdxArray make_labels(int64_t count, int classes = 10) {
  IdxArray a{{count}, Bytes(static_cast<size_t>(count))};
  for (int64_t i = 0; i < count; ++i) a.data[i] = static_cast<uint8_t>(i % classes);
  return a;
}

/// Success when `fn` throws glia::Error with a one-line message containing every needle.
template <class F>
::testing::AssertionResult throws_error(F&& fn, std::initializer_list<std::string> needles) {
  std::string message;
  try {
    fn();
    return ::testing::AssertionFailure() << "no glia::Error was thrown";
  } catch (const Error& e) {
    message = e.what();
  }
  for (const std::string& needle : needles)
    if (message.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks \"" << needle << "\": " << message;
  if (message.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "message is not one line: " << message;
  return ::testing::AssertionSuccess() << message;
}

}  // namespace glia::fixtures

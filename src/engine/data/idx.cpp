// IDX reader and writer. The reader checks every header field against what the file holds before
// it allocates, so a bad or hostile header yields a one-line glia::Error, never a crash or an
// allocation bomb. Gzip input is inflated incrementally; the payload buffer grows with the data.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

#include "glia/data.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/io/atomic_file.hpp"

namespace glia {

namespace {

namespace fs = std::filesystem;

constexpr uint8_t kUnsignedByte = 0x08;
constexpr size_t kChunk = 1 << 16;
constexpr size_t kMiB = 1 << 20;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(escape_bytes(path + ": " + problem));
}

std::string hex(const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "×" : "") + std::to_string(dims[i]);
  return s;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// A byte stream: read() fills up to n bytes and returns fewer only at the end of the data.
class Source {
 public:
  virtual ~Source() = default;
  virtual size_t read(uint8_t* out, size_t n) = 0;
};

class RawSource : public Source {
 public:
  RawSource(std::FILE* file, const std::string& path) : file_(file), path_(path) {}
  size_t read(uint8_t* out, size_t n) override {
    size_t got = std::fread(out, 1, n, file_);
    if (got < n && std::ferror(file_))
      fail(path_, std::string("read error: ") + std::strerror(errno));
    return got;
  }

 private:
  std::FILE* file_;
  const std::string& path_;
};

// Inflates gzip data (one or more concatenated members) from a file.
class GzipSource : public Source {
 public:
  GzipSource(std::FILE* file, const std::string& path) : raw_(file, path), path_(path) {
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail(path_, "cannot initialise zlib");
  }
  ~GzipSource() override { inflateEnd(&z_); }

  size_t read(uint8_t* out, size_t n) override {
    size_t done = 0;
    while (done < n && !finished_) {
      if (z_.avail_in == 0) refill();
      if (z_.avail_in == 0) fail(path_, "truncated gzip data: the compressed stream ends early");
      size_t want = std::min<size_t>(n - done, std::numeric_limits<uInt>::max());
      z_.next_out = out + done;
      z_.avail_out = static_cast<uInt>(want);
      int rc = inflate(&z_, Z_NO_FLUSH);
      done += want - z_.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail(path_, std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "inflate error"));
      }
    }
    return done;
  }

 private:
  // Moves the unread input to the front of the buffer and tops it up from the file.
  void refill() {
    if (z_.avail_in > 0) std::memmove(in_, z_.next_in, z_.avail_in);
    z_.next_in = in_;
    z_.avail_in += static_cast<uInt>(raw_.read(in_ + z_.avail_in, sizeof in_ - z_.avail_in));
  }

  // After a member ends another may follow (as `cat a.gz b.gz` makes). Anything else is an error:
  // a silently ignored tail usually means a damaged download.
  void next_member() {
    if (z_.avail_in < 2) refill();
    if (z_.avail_in == 0) {
      finished_ = true;
    } else if (z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b) {
      inflateReset(&z_);
    } else {
      fail(path_, "trailing garbage after the gzip stream");
    }
  }

  RawSource raw_;
  const std::string& path_;
  z_stream z_{};
  uint8_t in_[kChunk];
  bool finished_ = false;
};

std::string size_problem(const std::vector<int64_t>& dims, uint64_t expected, uint64_t found) {
  return "truncated: header says " + dims_str(dims) + " = " + std::to_string(expected) +
         " bytes of data, found " + std::to_string(found);
}

IdxArray read_stream(Source& src, const std::string& path, bool gzip, int64_t file_size) {
  uint8_t head[4];
  size_t got = src.read(head, 4);
  if (got == 0)
    fail(path, gzip ? "empty file (the gzip data decompresses to nothing)" : "empty file");
  if (got < 4)
    fail(path, "truncated: " + std::to_string(got) + " bytes, too short for an IDX header");
  if (head[0] != 0 || head[1] != 0) {
    uint32_t magic = uint32_t{head[0]} << 24 | uint32_t{head[1]} << 16 | head[2] << 8 | head[3];
    fail(path, "bad magic " + hex("0x%08x", magic) +
                   " (expected an IDX file: 0x0000 then type and dimension count)");
  }
  if (head[2] != kUnsignedByte)
    fail(path, "unsupported IDX data type " + hex("0x%02X", head[2]) +
                   " (only unsigned byte 0x08 is supported)");
  const int ndims = head[3];
  if (ndims == 0) fail(path, "empty: the IDX header declares 0 dimensions");

  uint8_t raw_dims[4 * 255];
  got = src.read(raw_dims, 4 * ndims);
  if (got < size_t(4) * ndims)
    fail(path, "truncated: header declares " + std::to_string(ndims) +
                   " dimensions but the file ends inside them");
  IdxArray array;
  uint64_t expected = 1;
  bool overflow = false;
  for (int i = 0; i < ndims; ++i) {
    const uint8_t* p = raw_dims + 4 * i;
    uint64_t d = uint64_t{p[0]} << 24 | uint64_t{p[1]} << 16 | uint64_t{p[2]} << 8 | p[3];
    array.dims.push_back(static_cast<int64_t>(d));
    overflow = overflow || __builtin_mul_overflow(expected, d, &expected);
  }
  if (std::count(array.dims.begin(), array.dims.end(), 0) > 0)
    fail(path, "empty: header dims " + dims_str(array.dims) + " hold no data");
  if (overflow || expected > uint64_t(std::numeric_limits<int64_t>::max()))
    fail(path, "header dims " + dims_str(array.dims) + " are too large (over 2^63 bytes)");

  if (!gzip) {  // the file size is known: check before allocating
    uint64_t available = uint64_t(file_size) - 4 - 4 * ndims;
    if (available < expected) fail(path, size_problem(array.dims, expected, available));
    if (available > expected)
      fail(path,
           std::to_string(available - expected) + " bytes of trailing data after the payload");
  }
  // Grow with the data so a lying header cannot make us allocate more than the stream holds.
  uint64_t have = 0;
  while (have < expected) {
    uint64_t step =
        gzip ? std::min(expected - have, std::max<uint64_t>(have, kMiB)) : expected - have;
    array.data.resize(have + step);
    uint64_t n = src.read(array.data.data() + have, step);
    have += n;
    if (n < step) break;
  }
  if (have < expected) fail(path, size_problem(array.dims, expected, have));
  uint64_t extra = 0;
  uint8_t scratch[kChunk];
  for (size_t n; (n = src.read(scratch, sizeof scratch)) > 0;) extra += n;
  if (extra > 0) fail(path, std::to_string(extra) + " bytes of trailing data after the payload");
  return array;
}

std::string io_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

void write_all(const std::string& tmp, bool gzip, const IdxArray& a, const std::string& path) {
  std::vector<uint8_t> head = {0, 0, kUnsignedByte, static_cast<uint8_t>(a.dims.size())};
  for (int64_t d : a.dims)
    for (int shift = 24; shift >= 0; shift -= 8) head.push_back(uint8_t(uint64_t(d) >> shift));
  if (gzip) {
    gzFile f = gzopen(tmp.c_str(), "wb");
    if (f == nullptr) fail(path, io_error("cannot create"));
    bool ok = gzwrite(f, head.data(), unsigned(head.size())) == int(head.size());
    for (size_t off = 0; ok && off < a.data.size(); off += kMiB) {
      unsigned n = unsigned(std::min(a.data.size() - off, kMiB));
      ok = gzwrite(f, a.data.data() + off, n) == int(n);
    }
    if (gzclose(f) != Z_OK || !ok) fail(path, "write error (gzip)");
    return;
  }
  File f(std::fopen(tmp.c_str(), "wb"));
  if (!f) fail(path, io_error("cannot create"));
  bool ok = std::fwrite(head.data(), 1, head.size(), f.get()) == head.size() &&
            std::fwrite(a.data.data(), 1, a.data.size(), f.get()) == a.data.size();
  if (std::fclose(f.release()) != 0 || !ok) fail(path, io_error("write error"));
}

}  // namespace

int64_t IdxArray::item_size() const {
  int64_t n = 1;
  for (size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

IdxArray read_idx(const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) fail(path, "no such file");
  if (ec) fail(path, "cannot access: " + ec.message());
  if (fs::is_directory(st)) fail(path, "is a directory, not an IDX file");
  if (!fs::is_regular_file(st)) fail(path, "not a regular file");
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) fail(path, io_error("cannot open"));
  auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) fail(path, "cannot determine the file size: " + ec.message());

  uint8_t magic[2] = {0, 0};
  size_t got = std::fread(magic, 1, 2, file.get());
  std::rewind(file.get());
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    auto src = std::make_unique<GzipSource>(file.get(), path);  // large input buffer: heap
    return read_stream(*src, path, true, size);
  }
  RawSource src(file.get(), path);
  return read_stream(src, path, false, size);
}

void write_idx(const std::string& path, const IdxArray& array) {
  if (array.dims.empty() || array.dims.size() > 255)
    fail(path, "cannot write an IDX array with " + std::to_string(array.dims.size()) +
                   " dimensions (1 to 255 allowed)");
  uint64_t total = 1;
  for (int64_t d : array.dims) {
    if (d <= 0 || d > int64_t{0xFFFFFFFF})
      fail(path, "cannot write IDX dims " + dims_str(array.dims) + " (each must be 1 to 2^32-1)");
    if (__builtin_mul_overflow(total, uint64_t(d), &total)) total = UINT64_MAX;
  }
  if (total != array.data.size())
    fail(path, "IDX dims " + dims_str(array.dims) + " = " + std::to_string(total) +
                   " bytes but the array holds " + std::to_string(array.data.size()));
  const bool gzip = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  io::write_atomically(path, [&](const std::string& tmp) { write_all(tmp, gzip, array, path); });
}

}  // namespace glia

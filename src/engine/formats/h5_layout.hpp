// What the checks around libhdf5 share (internal to h5_check.cpp and h5_strings.cpp): the file's
// bytes as libhdf5 reads them, identifiers that close themselves, and where an open file's object
// headers and heaps are read from.
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glia/error.hpp"

namespace glia::formats::h5 {

/// Bytes as libhdf5's in-memory driver reads them: zeros past the end.
struct Bytes {
  const unsigned char* data;
  size_t size;
  unsigned char at(uint64_t i) const { return i < size ? data[i] : 0; }
  /// A little-endian unsigned number of `width` bytes (at most 8).
  uint64_t number(uint64_t i, int width) const {
    uint64_t v = 0;
    for (int k = width - 1; k >= 0; --k) v = (v << 8) | at(i + static_cast<uint64_t>(k));
    return v;
  }
};

/// The superblock's "size of lengths" (8 in every file h5py writes).
inline int lengths_size(const Bytes& b) {
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (uint64_t at = 0; at + 16 <= b.size; at = at == 0 ? 512 : at * 2) {
    if (std::memcmp(b.data + at, kSignature, 8) != 0) continue;
    const unsigned version = b.at(at + 8);
    return version < 2 ? b.at(at + 14) : b.at(at + 10);
  }
  return 8;
}

inline void check_width(int width, const std::string& name) {
  if (width != 2 && width != 4 && width != 8)
    throw Error(name + ": unsupported HDF5 layout (lengths of " + std::to_string(width) +
                " bytes)");
}

/// Closes an HDF5 identifier when it goes out of scope.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

/// Reads byte ranges of the file libhdf5 has open (the in-memory image or the file on disk).
class Source {
 public:
  Source(hid_t file, const std::string& where) : where_(where) {
    Id fapl{H5Fget_access_plist(file), H5Pclose};
    hsize_t size = 0;
    void* handle = nullptr;
    if (fapl.id < 0 || H5Fget_filesize(file, &size) < 0 ||
        H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle)
      throw Error(where + ": cannot read the file's strings");
    size_ = size;
    const hid_t driver = H5Pget_driver(fapl.id);
    if (driver == H5FD_CORE)
      memory_ = *static_cast<const unsigned char**>(handle);
    else if (driver == H5FD_SEC2)
      fd_ = *static_cast<const int*>(handle);
    else
      throw Error(where + ": unsupported HDF5 file driver");
  }
  uint64_t size() const { return size_; }
  /// `n` bytes at `offset` (zeros past the end of the file).
  std::vector<unsigned char> read(uint64_t offset, uint64_t n) const {
    std::vector<unsigned char> out(static_cast<size_t>(n), 0);
    if (n == 0 || offset >= size_) return out;
    const uint64_t have = std::min(n, size_ - offset);
    if (memory_) {
      std::memcpy(out.data(), memory_ + offset, static_cast<size_t>(have));
    } else if (::pread(fd_, out.data(), static_cast<size_t>(have), static_cast<off_t>(offset)) !=
               static_cast<ssize_t>(have)) {
      throw Error(where_ + ": cannot read the file");
    }
    return out;
  }

 private:
  std::string where_;
  uint64_t size_ = 0;
  const unsigned char* memory_ = nullptr;
  int fd_ = -1;
};

/// Where object headers are read from: the sizes of addresses and lengths, the address all
/// others count from (after a user block), and the bytes.
struct Layout {
  int address_size = 8, length_size = 8;
  uint64_t base = 0, file_size = 0;
  std::function<std::vector<unsigned char>(uint64_t, uint64_t)> read;  // (file offset, count)
};

/// The Layout of the file an open HDF5 object lives in.
class FileView {
 public:
  FileView(hid_t object, const std::string& where) : file_{H5Iget_file_id(object), H5Fclose} {
    Id fcpl{file_.id < 0 ? -1 : H5Fget_create_plist(file_.id), H5Pclose};
    size_t address_size = 0, length_size = 0;
    hsize_t userblock = 0;
    if (fcpl.id < 0 || H5Pget_sizes(fcpl.id, &address_size, &length_size) < 0 ||
        H5Pget_userblock(fcpl.id, &userblock) < 0 || address_size < 2 || address_size > 8)
      throw Error(where + ": cannot read the file's layout");
    check_width(static_cast<int>(length_size), where);
    source_.emplace(file_.id, where);
    layout_.address_size = static_cast<int>(address_size);
    layout_.length_size = static_cast<int>(length_size);
    layout_.base = userblock;
    layout_.file_size = source_->size();
    layout_.read = [this](uint64_t offset, uint64_t n) { return source_->read(offset, n); };
  }
  FileView(const FileView&) = delete;
  FileView& operator=(const FileView&) = delete;
  const Layout& layout() const { return layout_; }
  /// Open for writing: Glia's own file, whose newest metadata may not be in its bytes yet.
  bool writable() const {
    unsigned intent = 0;
    return H5Fget_intent(file_.id, &intent) >= 0 && (intent & H5F_ACC_RDWR);
  }
  const Source& source() const { return *source_; }

 private:
  Id file_;
  std::optional<Source> source_;
  Layout layout_;
};

/// Walks the global heap collection at `at` (h5_strings.cpp); returns its length.
uint64_t walk_collection(const Bytes& b, uint64_t at, int width, const std::string& name,
                         const std::function<void(uint64_t, uint64_t, uint64_t)>& object);
/// Every global heap collection in an image, before libhdf5 sees any (h5_strings.cpp).
void check_global_heaps(const Bytes& b, const std::string& name);

}  // namespace glia::formats::h5

// A thin RAII layer over the HDF5 C API: files on disk or in memory, groups, float datasets read
// straight into tensors (no staging buffer), and the string attributes Keras uses. Every failure
// becomes a glia::Error naming the file and the object.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/tensor.hpp"

namespace glia::formats::h5 {

/// Owns one HDF5 identifier and closes it with the right call.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();
  hid_t get() const { return id_; }
  /// Gives up ownership (the caller closes).
  hid_t release() {
    hid_t id = id_;
    id_ = -1;
    return id;
  }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

class Group {
 public:
  Group(Handle h, std::string file, std::string path)
      : h_(std::move(h)), file_(std::move(file)), path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  /// "model.h5: /layers/dense/vars" for messages.
  std::string where(const std::string& child = "") const;

  bool has(const std::string& name) const;
  bool has_group(const std::string& name) const;
  bool has_dataset(const std::string& name) const;
  Group group(const std::string& name) const;          // throws when missing
  Group create_group(const std::string& name) const;   // creates intermediate groups
  Group require_group(const std::string& name) const;  // opens or creates
  std::vector<std::string> children() const;           // link names, in name order

  /// Float32 dataset, contiguous (Keras' plain `group[key] = array`); intermediate groups made.
  void write_floats(const std::string& name, const Shape& shape, const float* data) const;
  void write_int64(const std::string& name, int64_t value) const;  // scalar
  /// The dataset's shape (rank <= 32).
  Shape dataset_shape(const std::string& name) const;
  /// Reads a float dataset of exactly `expected` shape into `out` (converted to float32 by
  /// HDF5 from float16/32/64). Refuses other types and shapes with a one-line error.
  void read_floats_into(const std::string& name, const Shape& expected, Tensor& out) const;
  /// Reads a float dataset of any shape (bounded by max_elements) into a new tensor.
  Tensor read_floats(const std::string& name, int64_t max_elements) const;
  int64_t read_integer_scalar(const std::string& name) const;

  /// Scalar variable-length UTF-8 string attribute (h5py's `attrs[k] = "text"`).
  void set_attr(const std::string& name, std::string_view value) const;
  /// 1-D string array attribute, fixed-length bytes like numpy's `np.array([b"..."])`.
  void set_attr_list(const std::string& name, const std::vector<std::string>& values) const;
  bool has_attr(const std::string& name) const;
  /// Reads a string attribute (scalar, fixed or variable length); bounded by max_bytes.
  std::string attr(const std::string& name, int64_t max_bytes) const;
  /// Reads a string array attribute (a scalar string is a one-element list).
  std::vector<std::string> attr_list(const std::string& name, int64_t max_bytes) const;

 private:
  Handle h_;
  std::string file_, path_;
};

class File {
 public:
  static File create(const std::string& path);
  static File create_in_memory(const std::string& name);
  static File open(const std::string& path);
  /// Opens an image in memory without copying it; `data` must outlive the File.
  static File open_image(const void* data, size_t size, const std::string& name);
  Group root() const;
  /// The bytes of an in-memory file (after flushing).
  std::string image() const;
  void flush() const;
  /// Closes now, reporting errors (the destructor closes quietly).
  void close();

 private:
  File(Handle h, std::string name) : h_(std::move(h)), name_(std::move(name)) {}
  Handle h_;
  std::string name_;
};

/// Turns off HDF5's error printing (errors become glia::Error instead). Idempotent.
void quiet();

}  // namespace glia::formats::h5

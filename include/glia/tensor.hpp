// Tensors: float32, N-d row-major shape, 64-byte-aligned shared storage.
// Copying a Tensor shares its storage (no hidden copies); clone() makes a deep copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace glia {

using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for a scalar shape {}).
int64_t shape_numel(const Shape& shape);
/// "(None, 784)"-style text of a shape; `batch` prepends the dynamic batch dimension.
std::string shape_str(const Shape& shape, bool batch = false);

/// Where tensor storage comes from. The default is 64-byte-aligned host memory; a GPU backend
/// installs an allocator of memory both the host and the device can address (CUDA managed
/// memory), so layers and datasets keep working unchanged. Affects tensors allocated afterwards.
struct TensorAllocator {
  const char* name;
  void* (*allocate)(size_t bytes);  // returns zeroed, 64-byte-aligned memory or nullptr
  void (*deallocate)(void* p);
};
void set_tensor_allocator(const TensorAllocator& allocator);
const TensorAllocator& tensor_allocator();

class Tensor {
 public:
  Tensor() = default;
  /// Zero-filled tensor of the given shape.
  explicit Tensor(Shape shape);
  static Tensor zeros(Shape shape) { return Tensor(std::move(shape)); }
  static Tensor full(Shape shape, float value);
  /// Copies `values` (must have shape_numel(shape) elements).
  static Tensor from(Shape shape, const std::vector<float>& values);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_.at(i < 0 ? shape_.size() + i : i); }
  int64_t size() const { return size_; }
  /// Product of all dimensions but the last (the "row" count for 2-D ops).
  int64_t rows() const;
  /// The last dimension (1 for a scalar).
  int64_t cols() const { return shape_.empty() ? 1 : shape_.back(); }
  int64_t capacity() const { return capacity_; }

  float* data() { return storage_.get(); }
  const float* data() const { return storage_.get(); }
  float& operator[](int64_t i) { return storage_.get()[i]; }
  float operator[](int64_t i) const { return storage_.get()[i]; }

  /// Changes the shape in place, keeping the storage when it is large enough (contents are then
  /// kept as a flat prefix); otherwise allocates new zeroed storage.
  void resize(const Shape& shape);
  /// A tensor sharing this storage with another shape of at most capacity() elements.
  Tensor view(Shape shape) const;
  /// A tensor sharing this storage from element `offset` on, with `shape` (its capacity is its
  /// size: a resize beyond it allocates storage of its own).
  Tensor slice(int64_t offset, Shape shape) const;
  Tensor clone() const;
  void fill(float value);
  void copy_from(const Tensor& other);  // shapes must hold the same element count
  std::vector<float> to_vector() const;

 private:
  std::shared_ptr<float> storage_;
  Shape shape_;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
};

}  // namespace glia

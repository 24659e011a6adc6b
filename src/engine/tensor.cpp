#include "glia/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "glia/error.hpp"

namespace glia {

namespace {
constexpr size_t kAlign = 64;

void* host_allocate(size_t bytes) {
  void* p = std::aligned_alloc(kAlign, bytes);
  if (p != nullptr) std::memset(p, 0, bytes);
  return p;
}

TensorAllocator g_allocator{"host", host_allocate, std::free};

std::shared_ptr<float> allocate(int64_t count) {
  size_t bytes = std::max<size_t>(
      kAlign, (static_cast<size_t>(count) * sizeof(float) + kAlign - 1) / kAlign * kAlign);
  const TensorAllocator a = g_allocator;
  void* p = a.allocate(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return std::shared_ptr<float>(static_cast<float*>(p),
                                [release = a.deallocate](float* q) { release(q); });
}
}  // namespace

void set_tensor_allocator(const TensorAllocator& allocator) {
  g_allocator = allocator;
}

const TensorAllocator& tensor_allocator() {
  return g_allocator;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape " + shape_str(shape) + " has a negative dimension");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape, bool batch) {
  std::string s = "(";
  bool first = true;
  if (batch) {
    s += "None";
    first = false;
  }
  for (int64_t d : shape) {
    if (!first) s += ", ";
    s += std::to_string(d);
    first = false;
  }
  if (shape.size() + (batch ? 1 : 0) == 1) s += ",";
  return s + ")";
}

Tensor::Tensor(Shape shape) : shape_(std::move(shape)) {
  size_ = shape_numel(shape_);
  capacity_ = size_;
  storage_ = allocate(capacity_);
}

Tensor Tensor::full(Shape shape, float value) {
  Tensor t(std::move(shape));
  t.fill(value);
  return t;
}

Tensor Tensor::from(Shape shape, const std::vector<float>& values) {
  Tensor t(std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.size())
    throw Error("Tensor::from: " + std::to_string(values.size()) + " values for shape " +
                shape_str(t.shape()));
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

int64_t Tensor::rows() const {
  if (shape_.empty()) return 1;
  int64_t r = 1;
  for (size_t i = 0; i + 1 < shape_.size(); ++i) r *= shape_[i];
  return r;
}

void Tensor::resize(const Shape& shape) {
  int64_t n = shape_numel(shape);
  if (!storage_ || n > capacity_) {
    storage_ = allocate(n);
    capacity_ = n;
  }
  shape_ = shape;
  size_ = n;
}

Tensor Tensor::view(Shape shape) const {
  int64_t n = shape_numel(shape);
  if (n > capacity_)
    throw Error("Tensor::view: shape " + shape_str(shape) + " exceeds capacity " +
                std::to_string(capacity_));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.size_ = n;
  return t;
}

Tensor Tensor::slice(int64_t offset, Shape shape) const {
  const int64_t n = shape_numel(shape);
  if (offset < 0 || offset + n > capacity_)
    throw Error("Tensor::slice: " + shape_str(shape) + " from element " + std::to_string(offset) +
                " exceeds capacity " + std::to_string(capacity_));
  Tensor t;
  t.storage_ = std::shared_ptr<float>(storage_, storage_.get() + offset);  // shares ownership
  t.shape_ = std::move(shape);
  t.size_ = t.capacity_ = n;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  if (size_ > 0) std::memcpy(t.data(), data(), size_ * sizeof(float));
  return t;
}

void Tensor::fill(float value) {
  std::fill(data(), data() + size_, value);
}

void Tensor::copy_from(const Tensor& other) {
  if (other.size() != size_)
    throw Error("Tensor::copy_from: " + shape_str(other.shape()) + " into " + shape_str(shape_));
  if (size_ > 0) std::memmove(data(), other.data(), size_ * sizeof(float));
}

std::vector<float> Tensor::to_vector() const {
  return std::vector<float>(data(), data() + size_);
}

}  // namespace glia

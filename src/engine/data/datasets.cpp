// In-memory datasets. gather() runs once per training batch: it validates the indices, resizes the
// output tensors (reusing their storage) and copies or converts the rows.
#include <algorithm>
#include <cstring>
#include <string>

#include "glia/data.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

void check_index(const char* who, int64_t index, int64_t size) {
  if (index < 0 || index >= size)
    throw Error(std::string(who) + ": sample index " + std::to_string(index) +
                " is out of range for " + std::to_string(size) + " samples");
}

Shape with_batch(int64_t rows, const Shape& item) {
  Shape shape{rows};
  shape.insert(shape.end(), item.begin(), item.end());
  return shape;
}

Shape item_shape(const Shape& shape) {
  return Shape(shape.begin() + 1, shape.end());
}

void gather_rows(const Tensor& src, std::span<const int64_t> indices, Tensor& out) {
  const int64_t row = src.dim(0) == 0 ? 0 : src.size() / src.dim(0);
  out.resize(with_batch(static_cast<int64_t>(indices.size()), item_shape(src.shape())));
  for (size_t r = 0; r < indices.size(); ++r) {
    check_index("TensorDataset", indices[r], src.dim(0));
    std::memcpy(out.data() + r * row, src.data() + indices[r] * row, row * sizeof(float));
  }
}

void convert_images(const uint8_t* __restrict src, int64_t n, float scale, float* __restrict dst) {
  for (int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) * scale;
}

// One-hot over num_classes, or the class index itself when num_classes == 0.
void write_label(uint8_t label, int64_t num_classes, float* row) {
  if (num_classes > 0) {
    std::fill_n(row, num_classes, 0.0f);
    row[label] = 1.0f;
  } else {
    row[0] = static_cast<float>(label);
  }
}

}  // namespace

// ---- TensorDataset ----

TensorDataset::TensorDataset(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {
  if (!x_.defined() || !y_.defined() || x_.rank() < 1 || y_.rank() < 1)
    throw Error("TensorDataset: x and y must be tensors with a sample dimension");
  if (x_.dim(0) != y_.dim(0))
    throw Error("TensorDataset: x has " + std::to_string(x_.dim(0)) + " samples but y has " +
                std::to_string(y_.dim(0)));
}

Shape TensorDataset::x_shape() const {
  return item_shape(x_.shape());
}
Shape TensorDataset::y_shape() const {
  return item_shape(y_.shape());
}

void TensorDataset::gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const {
  gather_rows(x_, indices, x);
  gather_rows(y_, indices, y);
}

// ---- ImageClassDataset ----

ImageClassDataset::ImageClassDataset(IdxArray images, IdxArray labels, int64_t num_classes,
                                     float scale, bool flatten)
    : ImageClassDataset(std::move(images), std::move(labels), num_classes, scale, Shape{}) {
  if (flatten) x_shape_ = {images_.item_size()};
}

ImageClassDataset::ImageClassDataset(IdxArray images, IdxArray labels, int64_t num_classes,
                                     float scale, Shape x_shape)
    : images_(std::move(images)),
      labels_(std::move(labels)),
      num_classes_(num_classes),
      scale_(scale),
      x_shape_(std::move(x_shape)) {
  if (images_.dims.size() < 2)
    throw Error(
        "ImageClassDataset: images must have a sample dimension and image dimensions, got " +
        shape_str(images_.dims));
  if (labels_.dims.size() != 1)
    throw Error("ImageClassDataset: labels must be one-dimensional (one label per sample), got " +
                shape_str(labels_.dims));
  if (images_.count() != labels_.count())
    throw Error("ImageClassDataset: " + std::to_string(images_.count()) + " images but " +
                std::to_string(labels_.count()) + " labels (the counts must match)");
  if (static_cast<int64_t>(images_.data.size()) != images_.count() * images_.item_size() ||
      static_cast<int64_t>(labels_.data.size()) != labels_.count())
    throw Error("ImageClassDataset: IDX data size does not match its dims");
  if (num_classes_ < 0 || num_classes_ > 256)
    throw Error("ImageClassDataset: num_classes must be 0 (class indices) to 256, got " +
                std::to_string(num_classes_));
  if (num_classes_ > 0) {
    auto bad = std::find_if(labels_.data.begin(), labels_.data.end(),
                            [&](uint8_t label) { return label >= num_classes_; });
    if (bad != labels_.data.end())
      throw Error("ImageClassDataset: label " + std::to_string(*bad) + " at index " +
                  std::to_string(bad - labels_.data.begin()) + " is out of range for " +
                  std::to_string(num_classes_) + " classes");
  }
  if (x_shape_.empty()) x_shape_ = item_shape(images_.dims);
  if (shape_numel(x_shape_) != images_.item_size())
    throw Error("ImageClassDataset: images of shape " + shape_str(item_shape(images_.dims)) + " (" +
                std::to_string(images_.item_size()) + " values) cannot be shaped as samples of " +
                shape_str(x_shape_));
}

Shape ImageClassDataset::x_shape() const {
  return x_shape_;
}

Shape ImageClassDataset::y_shape() const {
  return Shape{num_classes_ > 0 ? num_classes_ : 1};
}

void ImageClassDataset::gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const {
  const auto rows = static_cast<int64_t>(indices.size());
  const int64_t item = images_.item_size();
  const int64_t classes = num_classes_ > 0 ? num_classes_ : 1;
  x.resize(with_batch(rows, x_shape()));
  y.resize({rows, classes});
  float* xd = x.data();
  float* yd = y.data();
  for (int64_t r = 0; r < rows; ++r) check_index("ImageClassDataset", indices[r], size());
    // Large batches convert on the compute pool (the other threads would otherwise idle).
#pragma omp parallel for schedule(static) if (rows * item >= 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = indices[r];
    convert_images(images_.data.data() + i * item, item, scale_, xd + r * item);
    write_label(labels_.data[i], num_classes_, yd + r * classes);
  }
}

Tensor ImageClassDataset::all_x() const {
  Tensor x(with_batch(size(), x_shape()));
  convert_images(images_.data.data(), x.size(), scale_, x.data());
  return x;
}

Tensor ImageClassDataset::all_y() const {
  const int64_t classes = y_shape()[0];
  Tensor y({size(), classes});
  for (int64_t i = 0; i < size(); ++i)
    write_label(labels_.data[i], num_classes_, y.data() + i * classes);
  return y;
}

// ---- SubsetDataset ----

SubsetDataset::SubsetDataset(DatasetPtr base, int64_t begin, int64_t end)
    : base_(std::move(base)), begin_(begin), end_(end) {
  if (!base_) throw Error("SubsetDataset: no base dataset");
  if (begin_ < 0 || begin_ > end_ || end_ > base_->size())
    throw Error("SubsetDataset: range [" + std::to_string(begin_) + ", " + std::to_string(end_) +
                ") is not within the " + std::to_string(base_->size()) + " samples of the base");
}

void SubsetDataset::gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t r = 0; r < indices.size(); ++r) {
    check_index("SubsetDataset", indices[r], size());
    mapped[r] = indices[r] + begin_;
  }
  base_->gather(mapped, x, y);
}

}  // namespace glia

// Data: the IDX file reader (MNIST's format, raw or gzip) and in-memory datasets that the
// training loop draws batches from. Datasets keep compact storage (uint8) and convert per batch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "glia/tensor.hpp"

namespace glia {

/// An IDX array: dims from the header, raw uint8 payload (only unsigned-byte IDX is supported).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
  int64_t count() const { return dims.empty() ? 0 : dims[0]; }
  /// Elements per item (product of dims after the first).
  int64_t item_size() const;
};

/// Reads an IDX file, gzip-compressed (detected by its magic bytes) or raw. Throws glia::Error
/// with a one-line message naming the file and the problem: missing, not gzip/corrupt, wrong
/// magic, unsupported type, truncated, trailing data, empty.
IdxArray read_idx(const std::string& path);
/// Writes an unsigned-byte IDX file (gzip when the path ends in ".gz"). For tests and tools.
void write_idx(const std::string& path, const IdxArray& array);

/// Reads a NumPy `.npy` array (little-endian float32, float64 or uint8, C order; format
/// versions 1-3) as float32. uint8 values are multiplied by `uint8_scale` (images: 1/255).
/// Throws glia::Error naming the file and what was expected.
Tensor read_npy(const std::string& path, float uint8_scale = 1.0f / 255.0f);

/// A source of (x, y) samples.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Per-sample shapes (no batch dimension).
  virtual Shape x_shape() const = 0;
  virtual Shape y_shape() const = 0;
  /// Fills x and y (resized to the batch) with the samples at `indices`.
  virtual void gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const = 0;
};
using DatasetPtr = std::shared_ptr<const Dataset>;

/// Float tensors in memory, first dimension = samples.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor x, Tensor y);
  int64_t size() const override { return x_.dim(0); }
  Shape x_shape() const override;
  Shape y_shape() const override;
  void gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const override;

 private:
  Tensor x_, y_;
};

/// uint8 images scaled by `scale` (1/255 by default) per batch, with uint8 labels given either
/// one-hot over `num_classes` or, when num_classes == 0, as one class index per sample (rows×1).
class ImageClassDataset : public Dataset {
 public:
  /// Samples shaped as a flat vector (flatten) or as the file's image dimensions.
  ImageClassDataset(IdxArray images, IdxArray labels, int64_t num_classes,
                    float scale = 1.0f / 255.0f, bool flatten = true);
  /// Samples shaped `x_shape` (a model's input shape, e.g. (28, 28, 1) for 28×28 images; empty:
  /// the file's image dimensions): it must hold as many values as an image. Throws glia::Error
  /// naming both shapes otherwise.
  ImageClassDataset(IdxArray images, IdxArray labels, int64_t num_classes, float scale,
                    Shape x_shape);
  int64_t size() const override { return images_.count(); }
  Shape x_shape() const override;
  Shape y_shape() const override;
  void gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const override;
  /// All samples at once as float tensors (for evaluate/predict on small sets).
  Tensor all_x() const;
  Tensor all_y() const;

 private:
  IdxArray images_, labels_;
  int64_t num_classes_;
  float scale_;
  Shape x_shape_;
};

/// Samples [begin, end) of another dataset (validation_split takes the last ones).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(DatasetPtr base, int64_t begin, int64_t end);
  int64_t size() const override { return end_ - begin_; }
  Shape x_shape() const override { return base_->x_shape(); }
  Shape y_shape() const override { return base_->y_shape(); }
  void gather(std::span<const int64_t> indices, Tensor& x, Tensor& y) const override;

 private:
  DatasetPtr base_;
  int64_t begin_, end_;
};

/// The four MNIST-layout files found (recursively) under a folder.
struct MnistFiles {
  std::string train_images, train_labels, test_images, test_labels;
};
/// Finds **/train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz
/// and t10k-labels-idx1-ubyte.gz (or the same names without .gz) under `folder`. Throws
/// glia::Error naming the folder and the missing file.
MnistFiles find_mnist_files(const std::string& folder);

}  // namespace glia

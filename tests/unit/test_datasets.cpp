// Datasets (TensorDataset, ImageClassDataset, SubsetDataset) and find_mnist_files.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "glia/data.hpp"
#include "glia/error.hpp"
#include "idx_fixtures.hpp"

namespace glia {
namespace {

using fixtures::make_images;
using fixtures::make_labels;
using fixtures::TempDir;
using fixtures::throws_error;

float pixel(int64_t image, int64_t k) {
  return static_cast<float>((image * 31 + k) % 256);
}

TEST(ImageClassDataset, ShapesFlatAndImage) {
  ImageClassDataset flat(make_images(5, 4, 3), make_labels(5), 10);
  EXPECT_EQ(flat.size(), 5);
  EXPECT_EQ(flat.x_shape(), (Shape{12}));
  EXPECT_EQ(flat.y_shape(), (Shape{10}));
  ImageClassDataset image(make_images(5, 4, 3), make_labels(5), 0, 1.0f, false);
  EXPECT_EQ(image.x_shape(), (Shape{4, 3}));
  EXPECT_EQ(image.y_shape(), (Shape{1}));
}

TEST(ImageClassDataset, GatherShuffledScaledOneHot) {
  ImageClassDataset ds(make_images(6, 2, 3), make_labels(6, 4), 4, 0.5f);
  const std::vector<int64_t> indices = {4, 0, 5, 4};
  Tensor x, y;
  ds.gather(indices, x, y);
  ASSERT_EQ(x.shape(), (Shape{4, 6}));
  ASSERT_EQ(y.shape(), (Shape{4, 4}));
  for (size_t r = 0; r < indices.size(); ++r) {
    for (int k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(x[r * 6 + k], pixel(indices[r], k) * 0.5f);
    for (int c = 0; c < 4; ++c) EXPECT_EQ(y[r * 4 + c], c == indices[r] % 4 ? 1.0f : 0.0f);
  }
}

TEST(ImageClassDataset, DefaultScaleMapsBytesToUnitRange) {
  fixtures::Bytes pixels = {0, 255, 51, 102};
  ImageClassDataset ds(IdxArray{{1, 2, 2}, pixels}, IdxArray{{1}, {3}}, 10);
  Tensor x = ds.all_x();
  EXPECT_EQ(x.shape(), (Shape{1, 4}));
  EXPECT_FLOAT_EQ(x[0], 0.0f);
  EXPECT_FLOAT_EQ(x[1], 1.0f);
  EXPECT_FLOAT_EQ(x[2], 0.2f);
  EXPECT_FLOAT_EQ(x[3], 0.4f);
}

TEST(ImageClassDataset, SparseLabelsAreClassIndices) {
  ImageClassDataset ds(make_images(5, 2, 2), make_labels(5, 3), 0, 1.0f, false);
  Tensor x, y;
  ds.gather(std::vector<int64_t>{3, 1}, x, y);
  EXPECT_EQ(x.shape(), (Shape{2, 2, 2}));
  ASSERT_EQ(y.shape(), (Shape{2, 1}));
  EXPECT_EQ(y[0], 0.0f);  // label of sample 3 = 3 % 3
  EXPECT_EQ(y[1], 1.0f);
}

TEST(ImageClassDataset, AllMatchesGatherOfEverySample) {
  ImageClassDataset ds(make_images(7, 3, 3), make_labels(7), 10);
  Tensor x, y;
  ds.gather(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}, x, y);
  EXPECT_EQ(ds.all_x().shape(), x.shape());
  EXPECT_EQ(ds.all_y().shape(), y.shape());
  EXPECT_EQ(ds.all_x().to_vector(), x.to_vector());
  EXPECT_EQ(ds.all_y().to_vector(), y.to_vector());
}

TEST(ImageClassDataset, GatherReusesOutputStorage) {
  ImageClassDataset ds(make_images(10, 4, 4), make_labels(10), 10);
  Tensor x, y;
  ds.gather(std::vector<int64_t>{0, 1, 2, 3}, x, y);
  const float* xp = x.data();
  const float* yp = y.data();
  ds.gather(std::vector<int64_t>{9, 8, 7, 6}, x, y);
  EXPECT_EQ(x.data(), xp);
  EXPECT_EQ(y.data(), yp);
  ds.gather(std::vector<int64_t>{5, 4}, x, y);  // a smaller last batch fits too
  EXPECT_EQ(x.data(), xp);
  EXPECT_EQ(x.shape(), (Shape{2, 16}));
  EXPECT_FLOAT_EQ(x[16], pixel(4, 0) / 255.0f);
}

TEST(ImageClassDataset, CountMismatchNamesBothCounts) {
  EXPECT_TRUE(throws_error([] { ImageClassDataset(make_images(5, 2, 2), make_labels(4), 10); },
                           {"5 images", "4 labels"}));
}

TEST(ImageClassDataset, LabelOutOfRangeNamesLabelAndIndex) {
  IdxArray labels = make_labels(6);
  labels.data[4] = 12;
  labels.data[5] = 200;
  EXPECT_TRUE(throws_error([&] { ImageClassDataset(make_images(6, 2, 2), labels, 10); },
                           {"label 12", "index 4", "10 classes"}));
  EXPECT_NO_THROW(ImageClassDataset(make_images(6, 2, 2), labels, 0));  // sparse: any byte
}

TEST(ImageClassDataset, RejectsBadIndicesAndShapes) {
  ImageClassDataset ds(make_images(3, 2, 2), make_labels(3), 10);
  Tensor x, y;
  EXPECT_TRUE(throws_error([&] { ds.gather(std::vector<int64_t>{0, 3}, x, y); }, {"index 3"}));
  EXPECT_TRUE(throws_error([&] { ds.gather(std::vector<int64_t>{-1}, x, y); }, {"index -1"}));
  EXPECT_TRUE(
      throws_error([] { ImageClassDataset(make_labels(3), make_labels(3), 10); }, {"images"}));
  EXPECT_TRUE(throws_error(
      [] { ImageClassDataset(make_images(3, 2, 2), make_images(3, 1, 1), 10); }, {"labels"}));
}

TEST(TensorDataset, GathersRowsInIndexOrder) {
  Tensor xs = Tensor::from({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  Tensor ys = Tensor::from({4, 1}, {0, 1, 2, 3});
  TensorDataset ds(xs, ys);
  EXPECT_EQ(ds.size(), 4);
  EXPECT_EQ(ds.x_shape(), (Shape{2}));
  EXPECT_EQ(ds.y_shape(), (Shape{1}));
  Tensor x, y;
  ds.gather(std::vector<int64_t>{2, 0, 3}, x, y);
  EXPECT_EQ(x.to_vector(), (std::vector<float>{20, 21, 0, 1, 30, 31}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{2, 0, 3}));
  EXPECT_TRUE(throws_error([&] { ds.gather(std::vector<int64_t>{4}, x, y); }, {"index 4"}));
}

TEST(TensorDataset, SampleCountMismatch) {
  EXPECT_TRUE(throws_error(
      [] {
        TensorDataset(Tensor({3, 2}), Tensor({2, 1}));
      },
      {"3 samples", "2"}));
}

TEST(SubsetDataset, MapsIndicesIntoTheRange) {
  auto base = std::make_shared<ImageClassDataset>(make_images(10, 2, 2), make_labels(10), 10);
  SubsetDataset tail(base, 7, 10);
  EXPECT_EQ(tail.size(), 3);
  EXPECT_EQ(tail.x_shape(), base->x_shape());
  EXPECT_EQ(tail.y_shape(), base->y_shape());
  Tensor x, y, bx, by;
  tail.gather(std::vector<int64_t>{2, 0}, x, y);
  base->gather(std::vector<int64_t>{9, 7}, bx, by);
  EXPECT_EQ(x.to_vector(), bx.to_vector());
  EXPECT_EQ(y.to_vector(), by.to_vector());
  EXPECT_TRUE(throws_error([&] { tail.gather(std::vector<int64_t>{3}, x, y); }, {"index 3"}));
}

TEST(SubsetDataset, RejectsRangesOutsideTheBase) {
  auto base = std::make_shared<ImageClassDataset>(make_images(4, 2, 2), make_labels(4), 10);
  EXPECT_TRUE(throws_error([&] { SubsetDataset(base, 2, 5); }, {"[2, 5)", "4 samples"}));
  EXPECT_TRUE(throws_error([&] { SubsetDataset(base, 3, 2); }, {"[3, 2)"}));
  EXPECT_TRUE(throws_error([] { SubsetDataset(nullptr, 0, 0); }, {"base"}));
}

// ---- find_mnist_files ----

const char* const kMnist[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

void touch(const std::string& path) {
  fixtures::write_bytes(path, {});
}

TEST(FindMnistFiles, FindsNestedFiles) {
  TempDir dir;
  touch(dir.file(std::string("a/b/") + kMnist[0] + ".gz"));
  touch(dir.file(std::string("a/") + kMnist[1] + ".gz"));
  touch(dir.file(std::string("c/d/e/") + kMnist[2] + ".gz"));
  touch(dir.file(std::string(kMnist[3]) + ".gz"));
  MnistFiles f = find_mnist_files(dir.path().string());
  EXPECT_EQ(f.train_images, dir.file(std::string("a/b/") + kMnist[0] + ".gz"));
  EXPECT_EQ(f.train_labels, dir.file(std::string("a/") + kMnist[1] + ".gz"));
  EXPECT_EQ(f.test_images, dir.file(std::string("c/d/e/") + kMnist[2] + ".gz"));
  EXPECT_EQ(f.test_labels, dir.file(std::string(kMnist[3]) + ".gz"));
}

TEST(FindMnistFiles, PrefersGzipThenShallowestThenSortedPath) {
  TempDir dir;
  for (const char* name : kMnist) touch(dir.file(std::string("z/") + name));  // raw only
  touch(dir.file(std::string("z/") + kMnist[0] + ".gz"));
  touch(dir.file(std::string("a/deep/") + kMnist[0] + ".gz"));
  touch(dir.file(std::string("y/") + kMnist[1]));
  touch(dir.file(std::string("x/") + kMnist[1]));
  touch(dir.file(std::string(".hidden/") + kMnist[2] + ".gz"));  // skipped, like glob's **
  MnistFiles f = find_mnist_files(dir.path().string());
  EXPECT_EQ(f.train_images, dir.file(std::string("z/") + kMnist[0] + ".gz"));
  EXPECT_EQ(f.train_labels, dir.file(std::string("x/") + kMnist[1]));
  EXPECT_EQ(f.test_images, dir.file(std::string("z/") + kMnist[2]));
  EXPECT_EQ(f.test_labels, dir.file(std::string("z/") + kMnist[3]));
}

TEST(FindMnistFiles, MissingFileNamesFolderAndFile) {
  TempDir dir;
  touch(dir.file(std::string("sub/") + kMnist[0] + ".gz"));
  touch(dir.file(std::string("sub/") + kMnist[1] + ".gz"));
  touch(dir.file(std::string("sub/") + kMnist[3] + ".gz"));
  const std::string folder = dir.path().string();
  EXPECT_TRUE(throws_error([&] { find_mnist_files(folder); },
                           {"data folder '" + folder + "'", "no t10k-images-idx3-ubyte.gz found",
                            "expected the four MNIST IDX files"}));
}

TEST(FindMnistFiles, EmptyFolder) {
  TempDir dir;
  const std::string folder = dir.path().string();
  EXPECT_TRUE(throws_error([&] { find_mnist_files(folder); },
                           {"data folder '" + folder + "'", "no MNIST IDX files found"}));
}

TEST(FindMnistFiles, MissingFolder) {
  TempDir dir;
  const std::string folder = (dir.path() / "nowhere").string();
  EXPECT_TRUE(throws_error([&] { find_mnist_files(folder); },
                           {"data folder '" + folder + "'", "no such directory"}));
}

// The pieces together: IDX files on disk → find → read → dataset.
TEST(FindMnistFiles, LoadsADatasetFromFoundFiles) {
  TempDir dir;
  write_idx(dir.file(std::string("mnist/") + kMnist[0] + ".gz"), make_images(8, 28, 28));
  write_idx(dir.file(std::string("mnist/") + kMnist[1] + ".gz"), make_labels(8));
  write_idx(dir.file(std::string("mnist/") + kMnist[2]), make_images(3, 28, 28));
  write_idx(dir.file(std::string("mnist/") + kMnist[3]), make_labels(3));
  MnistFiles f = find_mnist_files(dir.path().string());
  ImageClassDataset train(read_idx(f.train_images), read_idx(f.train_labels), 10);
  ImageClassDataset test(read_idx(f.test_images), read_idx(f.test_labels), 10, 1.0f, false);
  EXPECT_EQ(train.size(), 8);
  EXPECT_EQ(train.x_shape(), (Shape{784}));
  EXPECT_EQ(test.x_shape(), (Shape{28, 28}));
  EXPECT_EQ(test.all_x().shape(), (Shape{3, 28, 28}));
  EXPECT_FLOAT_EQ(train.all_x()[784 * 5 + 3], pixel(5, 3) / 255.0f);
}

}  // namespace
}  // namespace glia

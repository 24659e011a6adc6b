// read_idx / write_idx: round trips (raw and gzip) and one test per kind of broken file. Every
// error must be one line naming the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "glia/data.hpp"
#include "glia/error.hpp"
#include "idx_fixtures.hpp"

namespace glia {
namespace {

using fixtures::Bytes;
using fixtures::gzip_bytes;
using fixtures::idx_bytes;
using fixtures::pattern;
using fixtures::TempDir;
using fixtures::throws_error;
using fixtures::write_bytes;

// An image-like array, 3×4×5 = 60 bytes.
IdxArray sample_array() {
  return IdxArray{{3, 4, 5}, pattern(60)};
}

void expect_equal(const IdxArray& a, const IdxArray& b) {
  EXPECT_EQ(a.dims, b.dims);
  EXPECT_EQ(a.data, b.data);
}

TEST(Idx, CountAndItemSize) {
  IdxArray a = sample_array();
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(a.item_size(), 20);
  EXPECT_EQ(IdxArray{}.count(), 0);
  EXPECT_EQ((IdxArray{{7}, pattern(7)}.item_size()), 1);
}

TEST(Idx, RawRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("images-idx3-ubyte");
  write_idx(path, sample_array());
  EXPECT_EQ(fixtures::read_bytes(path), idx_bytes({3, 4, 5}, pattern(60)));
  expect_equal(read_idx(path), sample_array());
}

TEST(Idx, GzipRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("images-idx3-ubyte.gz");
  write_idx(path, sample_array());
  Bytes bytes = fixtures::read_bytes(path);
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], 0x1f);
  EXPECT_EQ(bytes[1], 0x8b);
  expect_equal(read_idx(path), sample_array());
}

TEST(Idx, ReadsHandMadeLabelsFile) {
  TempDir dir;
  const std::string path = dir.file("labels");
  write_bytes(path, idx_bytes({6}, {0, 1, 2, 9, 8, 7}));
  expect_equal(read_idx(path), IdxArray{{6}, {0, 1, 2, 9, 8, 7}});
}

TEST(Idx, GzipIsDetectedByContentNotName) {
  TempDir dir;
  const std::string gz_without_suffix = dir.file("packed");
  const std::string raw_with_suffix = dir.file("plain.gz");
  write_bytes(gz_without_suffix, gzip_bytes(idx_bytes({3, 4, 5}, pattern(60))));
  write_bytes(raw_with_suffix, idx_bytes({3, 4, 5}, pattern(60)));
  expect_equal(read_idx(gz_without_suffix), sample_array());
  expect_equal(read_idx(raw_with_suffix), sample_array());
}

TEST(Idx, ConcatenatedGzipMembers) {
  TempDir dir;
  const std::string path = dir.file("two-members.gz");
  Bytes whole = idx_bytes({3, 4, 5}, pattern(60));
  Bytes first = gzip_bytes(Bytes(whole.begin(), whole.begin() + 30));
  Bytes second = gzip_bytes(Bytes(whole.begin() + 30, whole.end()));
  first.insert(first.end(), second.begin(), second.end());
  write_bytes(path, first);
  expect_equal(read_idx(path), sample_array());
}

TEST(Idx, LargeGzipPayloadGrowsIncrementally) {
  TempDir dir;
  const std::string path = dir.file("big.gz");
  IdxArray big{{50, 100, 500}, pattern(50 * 100 * 500, 3)};  // 2.5 MB: several growth steps
  write_idx(path, big);
  expect_equal(read_idx(path), big);
}

TEST(IdxErrors, MissingFile) {
  TempDir dir;
  const std::string path = dir.file("nope-idx3-ubyte.gz");
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "no such file"}));
}

TEST(IdxErrors, Directory) {
  TempDir dir;
  const std::string path = dir.path().string();
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "directory"}));
}

TEST(IdxErrors, EmptyFile) {
  TempDir dir;
  const std::string raw = dir.file("empty");
  const std::string gz = dir.file("empty.gz");
  write_bytes(raw, {});
  write_bytes(gz, gzip_bytes({}));
  EXPECT_TRUE(throws_error([&] { read_idx(raw); }, {raw, "empty file"}));
  EXPECT_TRUE(throws_error([&] { read_idx(gz); }, {gz, "empty file"}));
}

TEST(IdxErrors, TruncatedPayloadRaw) {
  TempDir dir;
  const std::string path = dir.file("short");
  write_bytes(path, idx_bytes({3, 4, 5}, pattern(59)));
  EXPECT_TRUE(throws_error([&] { read_idx(path); },
                           {path, "truncated", "3×4×5 = 60 bytes of data, found 59"}));
}

TEST(IdxErrors, TruncatedPayloadGzip) {
  TempDir dir;
  const std::string path = dir.file("short.gz");
  write_bytes(path, gzip_bytes(idx_bytes({3, 4, 5}, pattern(17))));
  EXPECT_TRUE(
      throws_error([&] { read_idx(path); }, {path, "truncated", "60 bytes of data, found 17"}));
}

TEST(IdxErrors, TruncatedHeader) {
  TempDir dir;
  const std::string magic_only = dir.file("magic-only");
  const std::string partial_dims = dir.file("partial-dims");
  write_bytes(magic_only, {0, 0});
  Bytes bytes = idx_bytes({3, 4, 5}, {});
  bytes.resize(9);  // magic + 1¼ of 3 dims
  write_bytes(partial_dims, bytes);
  EXPECT_TRUE(throws_error([&] { read_idx(magic_only); }, {magic_only, "truncated"}));
  EXPECT_TRUE(throws_error([&] { read_idx(partial_dims); }, {partial_dims, "truncated"}));
}

TEST(IdxErrors, TruncatedGzipStream) {
  TempDir dir;
  const std::string path = dir.file("cut.gz");
  Bytes gz = gzip_bytes(idx_bytes({3, 4, 5}, pattern(60)));
  gz.resize(gz.size() / 2);
  write_bytes(path, gz);
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "truncated gzip"}));
}

TEST(IdxErrors, CorruptGzip) {
  TempDir dir;
  const Bytes good = gzip_bytes(idx_bytes({3, 4, 5}, pattern(60)));
  Bytes bad_crc = good;
  bad_crc[bad_crc.size() - 8] ^= 0xff;  // the CRC-32 in the trailer
  Bytes bad_method = good;
  bad_method[2] = 7;  // compression method: only 8 (deflate) exists
  Bytes garbage = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  for (const Bytes& bytes : {bad_crc, bad_method, garbage}) {
    const std::string path = dir.file("corrupt-" + std::to_string(bytes.size()) + ".gz");
    write_bytes(path, bytes);
    EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "corrupt gzip data: "}));
  }
}

TEST(IdxErrors, TrailingGarbageAfterGzipStream) {
  TempDir dir;
  const std::string path = dir.file("tail.gz");
  Bytes gz = gzip_bytes(idx_bytes({3, 4, 5}, pattern(60)));
  gz.insert(gz.end(), {'j', 'u', 'n', 'k'});
  write_bytes(path, gz);
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "trailing garbage"}));
}

TEST(IdxErrors, BadMagic) {
  TempDir dir;
  const std::string path = dir.file("not-idx");
  write_bytes(path, {0x12, 0x34, 0xab, 0xcd, 1, 2, 3, 4});
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "bad magic 0x1234abcd"}));
}

TEST(IdxErrors, UnsupportedType) {
  TempDir dir;
  const std::string path = dir.file("floats");
  write_bytes(path, idx_bytes({2}, pattern(8), 0x0D));
  EXPECT_TRUE(throws_error(
      [&] { read_idx(path); },
      {path, "unsupported IDX data type 0x0D (only unsigned byte 0x08 is supported)"}));
}

TEST(IdxErrors, ZeroDimensionsOrZeroLengthDimension) {
  TempDir dir;
  const std::string no_dims = dir.file("no-dims");
  const std::string zero_count = dir.file("zero-count");
  write_bytes(no_dims, idx_bytes({}, {}));
  write_bytes(zero_count, idx_bytes({0, 28, 28}, {}));
  EXPECT_TRUE(throws_error([&] { read_idx(no_dims); }, {no_dims, "empty", "0 dimensions"}));
  EXPECT_TRUE(throws_error([&] { read_idx(zero_count); }, {zero_count, "empty", "0×28×28"}));
}

TEST(IdxErrors, DimsDoNotMatchPayload) {
  TempDir dir;
  const std::string path = dir.file("images-idx3-ubyte");
  write_bytes(path, idx_bytes({2, 3, 3}, pattern(2 * 4 * 4)));  // 4×4 images, header says 3×3
  EXPECT_TRUE(
      throws_error([&] { read_idx(path); }, {path, "14 bytes of trailing data after the payload"}));
}

TEST(IdxErrors, TrailingDataGzip) {
  TempDir dir;
  const std::string path = dir.file("tail-data.gz");
  write_bytes(path, gzip_bytes(idx_bytes({3, 4, 5}, pattern(72))));
  EXPECT_TRUE(throws_error([&] { read_idx(path); }, {path, "12 bytes of trailing data"}));
}

// Headers claiming astronomically large arrays must fail cleanly without allocating.
TEST(IdxErrors, HugeHeaderDims) {
  TempDir dir;
  const std::string raw = dir.file("huge");
  const std::string gz = dir.file("huge.gz");
  const std::string overflow = dir.file("overflow");
  write_bytes(raw, idx_bytes({0xFFFFFFFF, 0xFFFF}, pattern(100)));
  write_bytes(gz, gzip_bytes(idx_bytes({0xFFFFFFFF, 0xFFFF}, pattern(100))));
  write_bytes(overflow, idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, pattern(100)));
  EXPECT_TRUE(throws_error([&] { read_idx(raw); }, {raw, "truncated", "found 100"}));
  EXPECT_TRUE(throws_error([&] { read_idx(gz); }, {gz, "truncated", "found 100"}));
  EXPECT_TRUE(throws_error([&] { read_idx(overflow); }, {overflow, "too large"}));
}

TEST(WriteIdx, RejectsInconsistentArrays) {
  TempDir dir;
  const std::string path = dir.file("bad");
  EXPECT_TRUE(throws_error(
      [&] {
        write_idx(path, IdxArray{{3, 4}, pattern(11)});
      },
      {path, "3×4 = 12 bytes", "11"}));
  EXPECT_TRUE(throws_error([&] { write_idx(path, IdxArray{{}, {}}); }, {path, "0 dimensions"}));
  EXPECT_TRUE(throws_error([&] { write_idx(path, IdxArray{{0}, {}}); }, {path, "dims"}));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(WriteIdx, ReplacesAtomicallyAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("out.gz");
  write_idx(path, IdxArray{{2}, {1, 2}});
  write_idx(path, sample_array());
  expect_equal(read_idx(path), sample_array());
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(WriteIdx, UnwritableLocationNamesThePath) {
  TempDir dir;
  const std::string path = (dir.path() / "missing-folder" / "out").string();
  EXPECT_TRUE(throws_error([&] { write_idx(path, sample_array()); }, {path, "cannot create"}));
}

}  // namespace
}  // namespace glia

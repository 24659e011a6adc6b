// Storing many files with one sync: hashes, dedup, visibility only after commit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/blob_batch.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class BlobBatchTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("bb");
    fs::create_directories(dir_ / "in");
    for (int i = 0; i < 20; ++i)
      std::ofstream(dir_ / "in" / ("f" + std::to_string(i))) << "content " << i % 10;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<fs::path> inputs() const {
    std::vector<fs::path> v;
    for (int i = 0; i < 20; ++i) v.push_back(dir_ / "in" / ("f" + std::to_string(i)));
    return v;
  }
  size_t count(const fs::path& folder) const {
    size_t n = 0;
    if (fs::exists(folder))
      for (auto& e : fs::recursive_directory_iterator(folder)) n += e.is_regular_file();
    return n;
  }
  fs::path dir_;
};

// A failed open or syncfs keeps its errno's kind (a full disk surfacing at syncfs is NoSpace).
TEST_F(BlobBatchTest, ASyncFailureKeepsTheKindOfItsErrno) {
  ArtifactStore store(dir_ / "store");
  BlobBatch batch(store);
  batch.add_files({inputs()[0]});
  fs::rename(dir_ / "store", dir_ / "moved");
  try {
    batch.commit();
    FAIL() << "a commit into a missing store succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
}

TEST_F(BlobBatchTest, StoresEachContentOnceAndOnlyAfterCommit) {
  ArtifactStore store(dir_ / "store");
  uint64_t reported = 0;
  {
    BlobBatch batch(store);
    auto stored = batch.add_files(inputs(), 2, [&](uint64_t done) { reported = done; });
    ASSERT_EQ(stored.size(), 20u);
    EXPECT_EQ(stored[3].sha256, sha256_bytes("content 3"));
    EXPECT_EQ(stored[13].sha256, stored[3].sha256);
    EXPECT_EQ(stored[3].size, 9u);
    EXPECT_EQ(reported, 20u * 9u);
    EXPECT_FALSE(store.contains(stored[3].sha256));  // not visible before commit
    batch.commit();
    EXPECT_EQ(store.read_blob(stored[3].sha256), "content 3");
    struct stat st {};
    ASSERT_EQ(::stat(store.blob_path(stored[3].sha256).c_str(), &st), 0);
    // The blob folder's mode without write or execute bits (shared_files.hpp).
    struct stat folder {};
    ASSERT_EQ(::stat(store.blob_path(stored[3].sha256).parent_path().c_str(), &folder), 0);
    EXPECT_EQ(st.st_mode & 07777, folder.st_mode & 0444);
  }
  EXPECT_EQ(count(dir_ / "store" / "blobs"), 10u);
  EXPECT_EQ(count(dir_ / "store" / "tmp"), 0u);
}

TEST_F(BlobBatchTest, AnUncommittedOrFailedBatchLeavesNothing) {
  ArtifactStore store(dir_ / "store");
  {
    BlobBatch batch(store);
    batch.add_files(inputs());
  }  // never committed
  EXPECT_EQ(count(dir_ / "store" / "tmp"), 0u);
  EXPECT_EQ(count(dir_ / "store" / "blobs"), 0u);
  BlobBatch batch(store);
  auto files = inputs();
  files.push_back(dir_ / "in" / "missing");
  try {
    batch.add_files(files);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace glia::platform

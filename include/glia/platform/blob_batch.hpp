// Storing many files at once (a dataset, a run's outputs) without one fsync per file: files are
// hashed and copied to temporary files by several threads, then commit() syncs the file system
// once, renames every new blob into place and syncs again. A blob becomes visible under its hash
// only once its bytes are durable, so nothing that names it can see a torn file after a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "glia/platform/artifact_store.hpp"

namespace glia::platform {

struct StoredFile {
  std::string sha256;
  uint64_t size = 0;
};

class BlobBatch {
 public:
  explicit BlobBatch(ArtifactStore& store);
  ~BlobBatch();  // removes the temporary files of a batch never committed
  BlobBatch(const BlobBatch&) = delete;
  BlobBatch& operator=(const BlobBatch&) = delete;

  /// Hashes and copies the files (in order of the result), on up to `threads` threads (0: one
  /// per core). `progress(bytes done)` is called from the calling thread. Errors name the file.
  std::vector<StoredFile> add_files(const std::vector<std::filesystem::path>& files,
                                    unsigned threads = 0,
                                    const std::function<void(uint64_t)>& progress = {});
  /// Makes every added blob durable and visible. Call before recording anything that names them.
  void commit();

 private:
  ArtifactStore& store_;
  std::vector<std::pair<std::filesystem::path, std::string>> pending_;  // temp file, its hash
};

}  // namespace glia::platform

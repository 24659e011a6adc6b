#include "glia/platform/blob_batch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "artifacts/file_io.hpp"
#include "artifacts/sha256.hpp"
#include "artifacts/temp_folder.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

fs::path blob_location(const fs::path& root, const std::string& sha256) {
  return root / "blobs" / sha256.substr(0, 2) / sha256;
}

// A full disk or quota (ENOSPC, EDQUOT) or EIO met by delayed writes surfaces here: the errno
// gives the error its kind.
void sync_filesystem(const fs::path& any_path) {
  const int fd = ::open(any_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot open '" + any_path.string() + "' to sync it", errno);
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw os_error("syncing '" + any_path.string() + "' failed", err);
}

// Hashes `file`; when the store lacks that content, copies it to a new temporary file in
// this process's temporary folder and returns its path (empty when nothing needs storing). Reading
// first and copying only what is new makes registering known data a read-only pass.
fs::path hash_and_copy(const fs::path& file, const fs::path& root, const fs::path& temps,
                       StoredFile& out) {
  artifacts::UniqueFd in = artifacts::open_for_reading(file);
  char* buffer = artifacts::io_buffer();
  artifacts::Sha256 hash;
  while (size_t n = artifacts::read_some(in.get(), buffer, artifacts::kIoBufferSize, file)) {
    hash.update(buffer, n);
    out.size += n;
  }
  out.sha256 = hash.hex_digest();
  std::error_code ec;
  if (fs::exists(blob_location(root, out.sha256), ec)) return {};
  std::string tmpl = (temps / "batch-XXXXXX").string();
  artifacts::UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (fd.get() < 0)
    throw os_error("cannot create a temporary file in '" + temps.string() + "'", errno);
  const fs::path tmp = tmpl;
  try {
    if (::lseek(in.get(), 0, SEEK_SET) != 0)
      throw Error(errno_kind(errno),
                  "cannot read '" + file.string() + "' again: " + artifacts::errno_text(errno));
    // Hashed again while copying: a file changed in between must not be stored under the
    // first hash.
    artifacts::Sha256 again;
    while (size_t n = artifacts::read_some(in.get(), buffer, artifacts::kIoBufferSize, file)) {
      again.update(buffer, n);
      artifacts::write_all(fd.get(), buffer, n, tmp);
    }
    if (again.hex_digest() != out.sha256)
      throw Error("'" + file.string() + "' changed while it was being stored; try again");
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  return tmp;
}

}  // namespace

BlobBatch::BlobBatch(ArtifactStore& store) : store_(store) {}

BlobBatch::~BlobBatch() {
  for (const auto& [tmp, hash] : pending_) ::unlink(tmp.c_str());
}

std::vector<StoredFile> BlobBatch::add_files(const std::vector<fs::path>& files, unsigned threads,
                                             const std::function<void(uint64_t)>& progress) {
  std::vector<StoredFile> out(files.size());
  std::vector<fs::path> temps(files.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<size_t>(files.size(), 1)));
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;
  const fs::path temp_dir = artifacts::temp_folder(store_.root());
  auto work = [&] {
    for (size_t i; !failed && (i = next++) < files.size();) {
      try {
        temps[i] = hash_and_copy(files[i], store_.root(), temp_dir, out[i]);
        done += out[i].size;
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  std::thread reporter;
  std::atomic<bool> finished{false};
  if (progress)
    reporter = std::thread([&] {
      while (!finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!finished) progress(done);
      }
    });
  work();
  for (auto& t : pool) t.join();
  finished = true;
  if (reporter.joinable()) reporter.join();
  for (size_t i = 0; i < files.size(); ++i)
    if (!temps[i].empty()) pending_.emplace_back(temps[i], out[i].sha256);
  if (error) std::rethrow_exception(error);
  if (progress) progress(done);
  return out;
}

void BlobBatch::commit() {
  if (pending_.empty()) return;
  const fs::path root = store_.root();
  sync_filesystem(root);  // every temporary file's bytes are on disk
  for (const auto& [tmp, hash] : pending_) {
    const fs::path dest = blob_location(root, hash);
    std::error_code ec;
    if (fs::exists(dest, ec)) {  // stored before: content-addressed, so identical
      ::unlink(tmp.c_str());
      continue;
    }
    create_shared_folders(dest.parent_path());
    // Synced once for all, below.
    io::commit_file(tmp, dest, blob_mode(dest.parent_path()), io::Sync::ByCaller);
  }
  pending_.clear();
  sync_filesystem(root);  // and the renames
}

}  // namespace glia::platform

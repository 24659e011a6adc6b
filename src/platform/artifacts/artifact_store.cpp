// The blob half of ArtifactStore: storing bytes and files under their SHA-256, finding, reading
// and copying blobs. Snapshots (trees of blobs plus a manifest) are in snapshot.cpp.
#include "glia/platform/artifact_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "file_io.hpp"
#include "glia/error.hpp"
#include "sha256.hpp"

namespace glia::platform {

namespace fs = std::filesystem;
using artifacts::TempFile;

namespace {

constexpr mode_t kBlobMode = 0444;

fs::path blob_location(const fs::path& root, const std::string& sha256) {
  return root / "blobs" / sha256.substr(0, 2) / sha256;
}

bool exists_quietly(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Moves a finished temporary file into place as the blob `sha256`, or drops it when that blob is
// already stored (same name, same bytes).
void install_blob(TempFile& tmp, const fs::path& root, const std::string& sha256) {
  const fs::path dest = blob_location(root, sha256);
  if (exists_quietly(dest)) {
    tmp.discard();
    return;
  }
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec)
    throw Error(errno_kind(ec.value()), "cannot write to the artifact store: cannot create '" +
                                            dest.parent_path().string() + "': " + ec.message());
  tmp.commit(dest, kBlobMode, /*sync_folder=*/true);
}

}  // namespace

ArtifactStore::ArtifactStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_ / "blobs", ec);
  if (!ec) fs::create_directories(root_ / "tmp", ec);
  if (ec)
    throw Error(errno_kind(ec.value()),
                "cannot create the artifact store in '" + root_.string() + "': " + ec.message());
}

std::string ArtifactStore::put_file(const fs::path& file, uint64_t* size) {
  artifacts::UniqueFd in = artifacts::open_for_reading(file);
  TempFile tmp(root_ / "tmp", "put-", root_);
  char* buffer = artifacts::io_buffer();
  artifacts::Sha256 hash;
  uint64_t total = 0;
  // One pass: every buffer read is hashed and appended to the temporary file.
  while (size_t n = artifacts::read_some(in.get(), buffer, artifacts::kIoBufferSize, file)) {
    hash.update(buffer, n);
    tmp.write(buffer, n);
    total += n;
  }
  const std::string sha256 = hash.hex_digest();
  install_blob(tmp, root_, sha256);
  if (size != nullptr) *size = total;
  return sha256;
}

std::string ArtifactStore::put_bytes(std::string_view bytes) {
  const std::string sha256 = sha256_bytes(bytes);
  if (exists_quietly(blob_location(root_, sha256))) return sha256;
  TempFile tmp(root_ / "tmp", "put-", root_);
  tmp.write(bytes.data(), bytes.size());
  install_blob(tmp, root_, sha256);
  return sha256;
}

void ArtifactStore::adopt_file(const fs::path& file, const std::string& sha256) {
  artifacts::require_sha256(sha256);
  const fs::path dest = blob_location(root_, sha256);
  std::error_code ec;
  if (exists_quietly(dest)) {
    fs::remove(file, ec);
    return;
  }
  fs::create_directories(dest.parent_path(), ec);
  if (ec)
    throw Error(errno_kind(ec.value()), "cannot write to the artifact store: cannot create '" +
                                            dest.parent_path().string() + "': " + ec.message());
  artifacts::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::fchmod(fd.get(), kBlobMode) != 0 || ::fsync(fd.get()) != 0)
    throw Error(errno_kind(errno),
                "cannot store '" + file.string() + "': " + artifacts::errno_text(errno));
  if (::rename(file.c_str(), dest.c_str()) != 0)
    throw Error(errno_kind(errno),
                "cannot write '" + dest.string() + "': " + artifacts::errno_text(errno));
  artifacts::fsync_folder(dest.parent_path());
}

bool ArtifactStore::contains(const std::string& sha256) const {
  artifacts::require_sha256(sha256);
  return exists_quietly(blob_location(root_, sha256));
}

fs::path ArtifactStore::blob_path(const std::string& sha256) const {
  if (!contains(sha256)) throw Error("artifact store has no blob " + sha256);
  return blob_location(root_, sha256);
}

std::string ArtifactStore::read_blob(const std::string& sha256) const {
  const fs::path path = blob_path(sha256);
  artifacts::UniqueFd in = artifacts::open_for_reading(path);
  struct stat st {};
  std::string bytes;
  if (::fstat(in.get(), &st) == 0 && st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  char* buffer = artifacts::io_buffer();
  while (size_t n = artifacts::read_some(in.get(), buffer, artifacts::kIoBufferSize, path))
    bytes.append(buffer, n);
  return bytes;
}

void ArtifactStore::copy_blob_to(const std::string& sha256, const fs::path& dest,
                                 bool executable) const {
  const fs::path source = blob_path(sha256);
  if (dest.filename().empty()) throw Error("cannot write '" + dest.string() + "': not a file name");
  const fs::path folder = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    throw Error(errno_kind(ec.value()), "cannot create '" + folder.string() + "': " + ec.message());
  artifacts::UniqueFd in = artifacts::open_for_reading(source);
  TempFile tmp(folder, ".glia-tmp-", dest);
  artifacts::copy_fd(in.get(), source, tmp.fd(), dest);
  tmp.commit(dest, executable ? 0755 : 0644, /*sync_folder=*/false);
}

}  // namespace glia::platform

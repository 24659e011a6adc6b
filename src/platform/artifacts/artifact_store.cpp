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
#include "glia/io/atomic_file.hpp"
#include "glia/platform/shared_files.hpp"
#include "install_blob.hpp"
#include "sha256.hpp"
#include "temp_folder.hpp"

namespace glia::platform {

namespace fs = std::filesystem;
using io::TempFile;

namespace {

fs::path blob_location(const fs::path& root, const std::string& sha256) {
  return root / "blobs" / sha256.substr(0, 2) / sha256;
}

bool exists_quietly(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// Moves a finished temporary file into place as the blob `sha256`, or drops it when that blob is
// already stored (same name, same bytes).
}  // namespace

namespace artifacts {

void install_blob(TempFile& tmp, const fs::path& root, const std::string& sha256) {
  const fs::path dest = blob_location(root, sha256);
  if (exists_quietly(dest)) {
    tmp.discard();
    return;
  }
  create_shared_folders(dest.parent_path());
  tmp.commit(dest, blob_mode(dest.parent_path()));
}

}  // namespace artifacts

ArtifactStore::ArtifactStore(fs::path root, BlobSource source)
    : root_(std::move(root)), source_(std::move(source)) {
  create_shared_folders(root_ / "blobs");
}

std::string ArtifactStore::put_file(const fs::path& file, uint64_t* size) {
  artifacts::UniqueFd in = artifacts::open_for_reading(file);
  TempFile tmp(artifacts::temp_folder(root_), "put-");
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
  artifacts::install_blob(tmp, root_, sha256);
  if (size != nullptr) *size = total;
  return sha256;
}

std::optional<std::string> ArtifactStore::put_stream(
    const std::function<bool(const ChunkWriter&)>& produce, uint64_t* size) {
  BlobWriter blob(*this);
  if (!produce([&](const char* data, size_t n) { blob.write(data, n); }))
    return std::nullopt;  // the writer's temporary file goes with it
  if (size != nullptr) *size = blob.size();
  return blob.commit();
}

std::string ArtifactStore::put_bytes(std::string_view bytes) {
  const std::string sha256 = sha256_bytes(bytes);
  if (exists_quietly(blob_location(root_, sha256))) return sha256;
  TempFile tmp(artifacts::temp_folder(root_), "put-");
  tmp.write(bytes.data(), bytes.size());
  artifacts::install_blob(tmp, root_, sha256);
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
  create_shared_folders(dest.parent_path());
  io::commit_file(file, dest, blob_mode(dest.parent_path()));
}

bool ArtifactStore::contains(const std::string& sha256) const {
  artifacts::require_sha256(sha256);
  return exists_quietly(blob_location(root_, sha256));
}

fs::path ArtifactStore::blob_path(const std::string& sha256) const {
  if (!contains(sha256) && source_ && source_(sha256, *this) && contains(sha256))
    return blob_location(root_, sha256);
  if (!contains(sha256)) throw Error(ErrorKind::NotFound, "artifact store has no blob " + sha256);
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
  TempFile tmp(folder, ".glia-tmp-");
  artifacts::copy_fd(in.get(), source, tmp.fd(), dest);
  tmp.commit(dest, executable ? 0777 : 0666, /*sync_folder=*/false);  // under the umask
}

}  // namespace glia::platform

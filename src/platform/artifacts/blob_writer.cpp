// BlobWriter: one blob written from pieces (an upload), hashed on the way in.
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/artifact_store.hpp"
#include "install_blob.hpp"
#include "sha256.hpp"
#include "temp_folder.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

struct BlobWriter::Impl {
  explicit Impl(const fs::path& root) : root(root), tmp(artifacts::temp_folder(root), "upload-") {}
  fs::path root;
  io::TempFile tmp;
  artifacts::Sha256 hash;
  uint64_t size = 0;
  bool committed = false;
  // Pieces arrive as the network gives them (4 KiB from cpp-httplib): written in 1 MiB runs,
  // a third of the system calls of an upload (bench/README.md, "Server").
  std::string pending;
  void flush() {
    if (pending.empty()) return;
    tmp.write(pending.data(), pending.size());
    pending.clear();
  }
};

namespace {
constexpr size_t kWriteRun = 1u << 20;
}  // namespace

BlobWriter::BlobWriter(const ArtifactStore& store) : impl_(std::make_unique<Impl>(store.root())) {}

BlobWriter::~BlobWriter() = default;  // an uncommitted TempFile removes itself

void BlobWriter::write(const char* data, size_t size) {
  if (impl_->committed) throw Error(ErrorKind::Internal, "blob writer: write after commit");
  impl_->hash.update(data, size);
  impl_->size += size;
  if (impl_->pending.size() + size > kWriteRun) impl_->flush();
  if (size >= kWriteRun) {
    impl_->tmp.write(data, size);
  } else {
    if (impl_->pending.capacity() < kWriteRun) impl_->pending.reserve(kWriteRun);
    impl_->pending.append(data, size);
  }
}

uint64_t BlobWriter::size() const {
  return impl_->size;
}

std::string BlobWriter::commit(const std::string& expected_sha256) {
  if (impl_->committed) throw Error(ErrorKind::Internal, "blob writer: committed twice");
  impl_->committed = true;
  impl_->flush();
  const std::string sha256 = impl_->hash.hex_digest();
  if (!expected_sha256.empty() && sha256 != expected_sha256)
    throw Error("the bytes sent have SHA-256 " + sha256 + ", not " + expected_sha256 +
                " as named; nothing was stored");
  artifacts::install_blob(impl_->tmp, impl_->root, sha256);
  return sha256;
}

}  // namespace glia::platform

// BlobWriter: one blob written from pieces (an upload), hashed on the way in.
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/shared_files.hpp"
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
};

BlobWriter::BlobWriter(const ArtifactStore& store) : impl_(std::make_unique<Impl>(store.root())) {}

BlobWriter::~BlobWriter() = default;  // an uncommitted TempFile removes itself

void BlobWriter::write(const char* data, size_t size) {
  if (impl_->committed) throw Error(ErrorKind::Internal, "blob writer: write after commit");
  impl_->hash.update(data, size);
  impl_->tmp.write(data, size);
  impl_->size += size;
}

uint64_t BlobWriter::size() const {
  return impl_->size;
}

std::string BlobWriter::commit() {
  if (impl_->committed) throw Error(ErrorKind::Internal, "blob writer: committed twice");
  impl_->committed = true;
  const std::string sha256 = impl_->hash.hex_digest();
  const fs::path dest = impl_->root / "blobs" / sha256.substr(0, 2) / sha256;
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    impl_->tmp.discard();
    return sha256;
  }
  create_shared_folders(dest.parent_path());
  impl_->tmp.commit(dest, blob_mode(dest.parent_path()));
  return sha256;
}

}  // namespace glia::platform

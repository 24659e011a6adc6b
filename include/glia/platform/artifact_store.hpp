// The content-addressed artifact store: every file Glia keeps (code snapshots, run outputs and
// logs, images; later datasets and models) is stored once under its SHA-256, whatever its name.
// Writes are atomic (temporary file, fsync, rename), so a blob either exists whole or not at
// all, and storing identical content twice costs no space.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glia::platform {

/// Lower-case hex SHA-256 of a file's bytes, streamed in bounded memory (OpenSSL's libcrypto).
std::string sha256_file(const std::filesystem::path& file);
std::string sha256_bytes(std::string_view bytes);

/// Checks a relative path taken from a user, a manifest or a request: it must be non-empty,
/// relative, and contain no "." / ".." / empty components or NUL. Returns it normalised with
/// '/' separators; throws glia::Error naming `what` and the path otherwise.
std::string safe_relative_path(const std::string& path, const std::string& what);

struct ManifestEntry {
  std::string path;    // relative, '/'-separated
  std::string sha256;  // blob holding the bytes
  uint64_t size = 0;
  bool executable = false;
  /// Set for a file registered --by-reference: where to fetch the blob when it is missing.
  /// Not part of the manifest (its hash is the content's identity: path, SHA-256, size and the
  /// executable bit): put_manifest records it with add_blob_url, and manifest() returns it only
  /// for manifests written by older versions, which held it.
  std::string url;
};

struct SnapshotOptions {
  /// Refuse folders whose files add up to more than this (Azure's snapshot limit is 300 MB).
  uint64_t max_bytes = 300ull << 20;
  /// What the code folder may resolve into when its path goes through a symbolic link: the
  /// folder holding the job file; empty: the current folder.
  std::filesystem::path base;
  /// Told about each file left out (a link out of the folder, an unreadable file), one line
  /// each; unset: the warnings are dropped.
  std::function<void(const std::string&)> warn;
};

class ArtifactStore {
 public:
  /// Fetches a blob this store lacks into it (a remote workspace's server); false when it cannot.
  using BlobSource = std::function<bool(const std::string& sha256, const ArtifactStore& into)>;
  /// The store rooted at `root` (a workspace's .glia/artifacts); created if missing. With a
  /// `source`, a blob read but missing is fetched from it first (Workspace::artifacts()).
  explicit ArtifactStore(std::filesystem::path root, BlobSource source = {});

  /// Stores a file's bytes; returns their SHA-256. Streams (bounded memory); a blob already
  /// present is not written again. Throws glia::Error naming the file when it cannot be read.
  std::string put_file(const std::filesystem::path& file, uint64_t* size = nullptr);
  std::string put_bytes(std::string_view bytes);
  /// Stores bytes that arrive in chunks (bounded memory: each chunk is hashed and written to a
  /// temporary file as it comes). `produce` calls its argument with each chunk and returns false
  /// when the bytes did not all arrive: then nothing is stored and nullopt returned.
  using ChunkWriter = std::function<void(const char* data, size_t size)>;
  std::optional<std::string> put_stream(const std::function<bool(const ChunkWriter&)>& produce,
                                        uint64_t* size = nullptr);
  /// Moves `file`, already written on the store's filesystem (under root()/partial, say), into
  /// the store as the blob `sha256`, which the caller computed from its bytes (fsync, then an
  /// atomic rename); removes `file` instead when that blob is stored already.
  void adopt_file(const std::filesystem::path& file, const std::string& sha256);
  /// Every method taking a `sha256` throws glia::Error unless it is 64 lower-case hex digits.
  bool contains(const std::string& sha256) const;
  /// Records `url` as a place the blob `sha256` can be fetched from (--by-reference), beside
  /// those recorded before (<root>/urls/ab/<sha256>, one URL a line, written atomically).
  void add_blob_url(const std::string& sha256, const std::string& url);
  /// The URLs recorded for a blob, oldest first; empty when none.
  std::vector<std::string> blob_urls(const std::string& sha256) const;
  /// Where a stored blob lives (read-only by convention); throws glia::Error if it is missing
  /// (after asking the source, if any).
  std::filesystem::path blob_path(const std::string& sha256) const;
  std::string read_blob(const std::string& sha256) const;
  /// Copies a blob to `dest` atomically (temporary file + rename), creating parent folders.
  void copy_blob_to(const std::string& sha256, const std::filesystem::path& dest,
                    bool executable = false) const;

  /// Stores every regular file under `dir` (skipping .git/ and .glia/ and whatever the folder's
  /// .gliaignore — or else .amlignore, or else .gitignore — excludes) and then a JSON manifest
  /// of them; returns the manifest's SHA-256, which names the snapshot. Identical trees give
  /// identical hashes. Throws glia::Error for a missing folder, a tree over max_bytes (naming
  /// the size and the limit and suggesting .gliaignore), or a `dir` whose path leads through a
  /// symbolic link to outside options.base (naming both).
  /// Ignore files follow gitignore's rules (the root file only; see
  /// src/platform/artifacts/ignore_rules.hpp). Symbolic links inside `dir` are never followed
  /// out of it: a link to a regular file inside `dir` is stored as that file's content (and
  /// executable bit); a link leading outside is skipped with a warning (options.warn); links to
  /// folders or nowhere are skipped, as are sockets, FIFOs and devices. Files and folders this
  /// user cannot read are skipped with a warning (their mode is never changed). Mtimes are not
  /// recorded.
  std::string snapshot(const std::filesystem::path& dir, const SnapshotOptions& options = {});
  /// Stores a manifest of already stored blobs (sorted by path; paths checked, no duplicates)
  /// and returns its SHA-256: the same files under the same names give the same hash, wherever
  /// they came from (entries' URLs are recorded with add_blob_url, not in the manifest).
  std::string put_manifest(std::vector<ManifestEntry> entries);
  /// The entries of a stored manifest, sorted by path.
  std::vector<ManifestEntry> manifest(const std::string& sha256) const;
  /// A read-only view of a manifest under `dest` without copying bytes: folders of hard links
  /// to the (read-only) blobs (symbolic links across file systems); the folders are made
  /// read-only too. `dest` must not exist.
  /// This and materialize first fetch missing blobs that the manifest gives a URL for
  /// (ensure_blobs in datasets.hpp), failing when the remote file has changed.
  void link_view(const std::string& manifest_sha256, const std::filesystem::path& dest) const;
  /// Recreates a snapshot's files under `dest` (created if missing) as private copies.
  void materialize(const std::string& manifest_sha256, const std::filesystem::path& dest) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  BlobSource source_;
};

/// Writes one blob from bytes that arrive in pieces (an HTTP upload), in bounded memory: hashed
/// as they come into a temporary file of the store (its process's tmp folder); commit() stores
/// it under its SHA-256. Destroyed without a commit, the temporary file is removed and nothing
/// is stored.
class BlobWriter {
 public:
  explicit BlobWriter(const ArtifactStore& store);
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  /// Appends bytes; errors (a full disk) are glia::Error with the kind of the failure.
  void write(const char* data, size_t size);
  uint64_t size() const;
  /// Syncs and installs the blob (an identical blob already stored is kept); returns its
  /// SHA-256. Once only. With `expected_sha256`, bytes hashing to anything else are refused
  /// (glia::Error, InvalidArgument) and nothing is stored.
  std::string commit(const std::string& expected_sha256 = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glia::platform

// Downloading http(s) files into the artifact store with libcurl: streamed to disk while hashed
// (bounded memory), resumed with a Range request after a dropped connection, retried with
// exponential backoff on connection errors, stalls and 5xx answers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "glia/platform/artifact_store.hpp"

namespace glia::platform {

struct FetchOptions {
  int tries = 5;                // attempts in all
  double backoff_s = 0.2;       // the wait after the first failed try; doubles after each
  long low_speed_bytes = 1024;  // a transfer slower than this many bytes/s ...
  long low_speed_s = 30;        // ... for this many seconds has stalled (and is retried)
  long connect_timeout_s = 30;
  /// false: only hash the bytes (--by-reference); the blob is not kept.
  bool keep = true;
  /// When set: nothing is downloaded if the store holds this blob already, and a download whose
  /// bytes hash differently is not stored (the caller compares and reports).
  std::string expected_sha256;
  /// (bytes done, bytes in all or 0 when the server does not say).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct FetchResult {
  std::string sha256;
  uint64_t size = 0;
};

/// Downloads `url` (http or https, redirects followed) into `store`. The bytes go to
/// <store>/partial/<sha256 of url> first (kept after a failure, so a later call resumes), then
/// become the blob atomically. Throws glia::Error "download of '<url>' failed: <why>" — at once
/// for a 4xx answer ("HTTP 404"), after options.tries for transient failures.
FetchResult fetch_url(ArtifactStore& store, const std::string& url,
                      const FetchOptions& options = {});

/// True for an http:// or https:// source.
bool is_url(const std::string& source);

/// The last component of the URL's path, percent-decoded and checked with safe_relative_path:
/// the file's name in a dataset. glia::Error naming the URL when it has none.
std::string url_file_name(const std::string& url);

/// Fetches every entry of a manifest whose blob is missing and which records a URL (registered
/// --by-reference), checking its hash; glia::Error "dataset file '<path>' at '<url>' changed
/// since it was registered (sha256 <got>, expected <want>)" when the remote bytes differ.
void fetch_missing_blobs(ArtifactStore& store, const std::vector<ManifestEntry>& entries);

}  // namespace glia::platform

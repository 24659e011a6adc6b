// Uploading the blobs a record names before the record is written, so the server never holds a
// record whose bytes it lacks: asks the server which it is missing (POST missing-blobs), streams
// those from the local cache (PUT blobs/{sha256}, checked by the server against the name), and for
// a blob registered by reference that the cache does not hold, sends its URL instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "glia/http/client.hpp"
#include "glia/platform/artifact_store.hpp"

namespace glia::remote {

class BlobPusher {
 public:
  BlobPusher(std::shared_ptr<http::Client> client, std::string workspace,
             std::filesystem::path cache_root);
  /// Makes sure the server holds these blobs; each of `manifests` also with every blob it lists.
  /// Throws glia::Error when one is neither in the cache nor known by URL (NotFound).
  void push(const std::vector<std::string>& blobs, const std::vector<std::string>& manifests = {});

 private:
  /// Which of `hashes` the server holds neither the bytes nor a URL of.
  std::vector<std::string> missing(const std::vector<std::string>& hashes);
  std::shared_ptr<http::Client> client_;
  std::string prefix_;        // /api/v1/workspaces/{ws}/blobs
  std::string missing_path_;  // /api/v1/workspaces/{ws}/missing-blobs
  platform::ArtifactStore cache_;
};

}  // namespace glia::remote

// A remote workspace (`glia workspace connect URL`): a local folder whose config names a workspace
// served by `glia server`. Its store is the server's (every call over HTTP), its artifact folder a
// cache of the server's blobs (fetched when first read, uploaded before a record names them), and
// its jobs run on the server's compute. The platform reaches the server only through a
// RemoteLink, which the remote client library installs (glia/remote/remote.hpp): the platform
// itself holds no HTTP code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "glia/platform/store.hpp"

namespace glia::platform {

class ArtifactStore;
struct FollowOptions;  // glia/platform/log_follow.hpp
struct EndpointKeys;   // glia/platform/endpoints.hpp

/// What a remote workspace's config holds (never a secret; see docs/server.md).
struct RemoteConfig {
  std::string url;            // http(s)://host:port of the server
  std::string workspace;      // the served workspace's name
  std::string ca_file;        // PEM bundle to verify the server with; empty: the system's
  std::string token_command;  // prints the API token; empty: $GLIA_TOKEN or the kernel keyring
};

class RemoteLink {
 public:
  virtual ~RemoteLink() = default;
  /// The server's store (every method a call to the server).
  virtual std::shared_ptr<Store> store() = 0;
  /// Fetches a blob the local cache lacks into it; false when the server has none either.
  virtual bool fetch_blob(const std::string& sha256, const ArtifactStore& cache) = 0;
  /// The workspace's folder on the server (where its jobs' run folders are).
  virtual std::filesystem::path server_root() = 0;
  /// follow_log for a run of the served workspace: its live log from the server.
  virtual RunRecord follow_log(const std::string& run_id,
                               const std::function<void(std::string_view)>& sink,
                               const FollowOptions& options) = 0;
  /// An endpoint's keys, which only the server can open: `regenerate` ("primary" or
  /// "secondary") is replaced first; "" reads them.
  virtual EndpointKeys endpoint_keys(const std::string& name, const std::string& regenerate) = 0;
  /// The last `tail` lines (0: all) of an endpoint's process or access log on the server.
  virtual std::string endpoint_log_tail(const std::string& name, int64_t tail, bool access) = 0;
};

/// Makes the link of a remote workspace whose local folder is `root`.
using RemoteConnector = std::function<std::shared_ptr<RemoteLink>(
    const RemoteConfig& config, const std::filesystem::path& root)>;
/// Installs the connector (glia::remote::enable does); a remote workspace opened before one is
/// installed is refused with a message saying so.
void set_remote_connector(RemoteConnector connector);

}  // namespace glia::platform

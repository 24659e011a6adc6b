#include "remote/blob_push.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "glia/error.hpp"

namespace glia::remote {

namespace {

constexpr size_t kAskAtOnce = 10000;  // hashes in one "missing" question
constexpr size_t kPiece = 1u << 20;

// Streams a cached blob as a PUT body (from any offset: the client may start again).
nlohmann::json upload_blob(http::Client& client, const std::string& path,
                           const std::filesystem::path& file) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) throw Error(ErrorKind::NotFound, "cannot read the cached blob '" + file.string() + "'");
  return client.upload(path, size, [&](uint64_t offset, uint64_t length, http::BodySink& sink) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string buf(kPiece, '\0');
    bool ok = true;
    while (ok && length > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(length, kPiece));
      const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      ok = sink.write(buf.data(), static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
      length -= static_cast<uint64_t>(n);
    }
    ::close(fd);
    return ok;
  });
}

}  // namespace

BlobPusher::BlobPusher(std::shared_ptr<http::Client> client, std::string workspace,
                       std::filesystem::path cache_root)
    : client_(std::move(client)),
      prefix_("/api/v1/workspaces/" + workspace + "/blobs"),
      missing_path_("/api/v1/workspaces/" + workspace + "/missing-blobs"),
      cache_(std::move(cache_root)) {}

void BlobPusher::push(const std::vector<std::string>& blobs,
                      const std::vector<std::string>& manifests) {
  std::set<std::string> wanted(blobs.begin(), blobs.end());
  for (const auto& m : manifests) {
    if (m.empty()) continue;
    wanted.insert(m);
    // A manifest the cache lacks was written by the server (a registered dataset, say): it is
    // there already, with its blobs.
    if (!cache_.contains(m)) continue;
    for (const auto& e : cache_.manifest(m)) wanted.insert(e.sha256);
  }
  wanted.erase("");
  std::vector<std::string> all(wanted.begin(), wanted.end());
  for (size_t at = 0; at < all.size(); at += kAskAtOnce) {
    const size_t end = std::min(all.size(), at + kAskAtOnce);
    const nlohmann::json asked(std::vector<std::string>(all.begin() + static_cast<long>(at),
                                                        all.begin() + static_cast<long>(end)));
    const auto answer = client_->send_json("POST", missing_path_, {{"sha256", asked}}, true);
    for (const auto& h : answer.at("missing")) {
      const std::string sha256 = h.get<std::string>();
      if (cache_.contains(sha256)) {
        upload_blob(*client_, prefix_ + "/" + sha256, cache_.blob_path(sha256));
        continue;
      }
      const auto urls = cache_.blob_urls(sha256);  // registered by reference: its URL travels
      if (urls.empty())
        throw Error(ErrorKind::NotFound,
                    "blob " + sha256 + " is neither in the local cache nor on the server");
      for (const auto& url : urls)
        client_->send_json("POST", prefix_ + "/" + sha256 + "/urls", {{"url", url}}, true);
    }
  }
}

}  // namespace glia::remote

// The artifact store's blobs, for remote workspaces (docs/server.md "Remote workspaces"): a
// client asks which of the blobs a record names the server lacks, uploads those (streamed, checked
// against their SHA-256 before they are stored) and only then writes the record; it downloads the
// blobs it reads (Range: resumable). A blob registered by reference has its URLs sent instead.
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "server/api/api.hpp"
#include "server/api/store_checks.hpp"

namespace glia::server::api {

using nlohmann::json;
using platform::Role;

namespace {

constexpr uint64_t kMaxBlob = uint64_t{64} << 30;  // one blob: 64 GiB
constexpr size_t kMaxAsked = 100000;               // hashes in one "missing" question

http::Response upload(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Contributor, "upload blobs");
  allow_only(r, {});
  auto artifacts = s.ws().artifacts();
  const std::string sha256 = check_hash(artifacts, r.param("sha256"), "blob");
  // Bytes that hash to anything else are refused, nothing stored.
  const auto [stored, size] = receive_blob(r, artifacts, "blob " + sha256, sha256);
  return http::Response::json({{"sha256", stored}, {"size", size}}, 201);
}

}  // namespace

void register_blob_routes(http::Router& router, ServerContext& context) {
  const std::string p = std::string(kWorkspacePrefix) + "/blobs";
  router.add("POST", std::string(kWorkspacePrefix) + "/missing-blobs",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "upload blobs");
               allow_only(r, {});
               const json body = json_object_body(r, {"sha256"});
               if (!body.contains("sha256") || !body["sha256"].is_array() ||
                   body["sha256"].size() > kMaxAsked)
                 throw Error("'sha256' must be a list of at most " + std::to_string(kMaxAsked) +
                             " SHA-256 hashes");
               auto artifacts = s.ws().artifacts();
               json missing = json::array();
               for (const auto& h : body["sha256"]) {
                 if (!h.is_string()) throw Error("'sha256' must hold strings (SHA-256 hashes)");
                 const std::string sha256 = check_hash(artifacts, h.get<std::string>(), "blob");
                 // Known by URL (registered by reference) counts as held: jobs fetch it from there.
                 if (!artifacts.contains(sha256) && artifacts.blob_urls(sha256).empty())
                   missing.push_back(h);
               }
               return http::Response::json({{"missing", missing}});
             });
  router.add("GET", p + "/{sha256}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "download blobs");
    allow_only(r, {});
    auto artifacts = s.ws().artifacts();
    const std::string sha256 = check_hash(artifacts, r.param("sha256"), "blob");
    if (!artifacts.contains(sha256))
      throw Error(ErrorKind::NotFound, "the workspace holds no blob " + sha256);
    return blob_download(r, artifacts.blob_path(sha256));
  });
  router.add("PUT", p + "/{sha256}", [&context](http::Request& r) { return upload(context, r); },
             {.max_body = kMaxBlob, .stream_body = true});
  router.add("POST", p + "/{sha256}/urls", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Contributor, "register blobs by reference");
    allow_only(r, {});
    auto artifacts = s.ws().artifacts();
    const std::string sha256 = check_hash(artifacts, r.param("sha256"), "blob");
    const json body = json_object_body(r, {"url"});
    if (!body.contains("url") || !body["url"].is_string())
      throw Error("'url' must be an http(s) URL (a string)");
    artifacts.add_blob_url(sha256, body["url"].get<std::string>());  // checked there
    return http::Response::json({{"sha256", sha256}, {"urls", artifacts.blob_urls(sha256)}});
  });
}

}  // namespace glia::server::api

// Run files: list, download (Range), upload (streamed into the artifact store), and the live
// log of a job (chunked, following it until it ends).
#include <atomic>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

constexpr uint64_t kMaxUpload = uint64_t{64} << 30;  // one file: 64 GiB

platform::RunFile find_run_file(platform::Store& store, const std::string& id,
                                const std::string& path) {
  for (auto& f : store.run_files(id))
    if (f.path == path) return f;
  throw Error(ErrorKind::NotFound, "run '" + id + "' has no file " + quote_bytes(path));
}

http::Response upload(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Contributor, "upload run files");
  allow_only(r, {});
  auto& store = s.ws().store();
  const std::string& id = r.param("id");
  store.get_run(id);
  // Checked before a byte is read: a traversal is refused with nothing written.
  const std::string path = platform::safe_relative_path(r.param("path"), "run file path");
  platform::check_new_run_file(store, id, path);  // a file and a folder at once: 409
  auto artifacts = s.ws().artifacts();
  const auto [sha256, size] = receive_blob(r, artifacts, quote_bytes(path));
  platform::RunFile file;
  file.path = path;
  file.size = static_cast<int64_t>(size);
  file.sha256 = sha256;
  file.created_at = platform::now_seconds();
  store.add_run_files(id, {file});  // only once the blob is whole
  return http::Response::json({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}},
                              201);
}

http::Response log_stream(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Reader, "read logs");
  allow_only(r, {});
  const std::string id = r.param("id");
  s.ws().store().get_run(id);  // an unknown run is a 404, before the stream starts
  ServedWorkspace* served = &s.served;
  http::Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.stream = [served, id](http::BodySink& sink) {
    std::atomic<bool> stop{false};
    bool client_gone = false;
    platform::FollowOptions options;
    options.stop = &stop;
    options.keep_alive = [&] {  // about once a second while the run goes on
      if (sink.stopping()) stop = true;
    };
    platform::follow_log(
        served->workspace, id,
        [&](std::string_view bytes) {
          if (client_gone || bytes.empty()) return;
          if (!sink.write(bytes.data(), bytes.size())) {
            client_gone = true;
            stop = true;
          }
          if (sink.stopping()) stop = true;
        },
        options);
    return !client_gone;
  };
  return response;
}

}  // namespace

void register_file_routes(http::Router& router, ServerContext& context) {
  const std::string p = std::string(kWorkspacePrefix) + "/runs/{id}";
  router.add("GET", p + "/files", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list run files");
    allow_only(r, {});
    s.ws().store().get_run(r.param("id"));
    return http::Response::json(platform::run_files_json(s.ws().store().run_files(r.param("id"))));
  });
  router.add("GET", p + "/files/{path...}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "download run files");
    allow_only(r, {});
    auto& store = s.ws().store();
    store.get_run(r.param("id"));
    const std::string path = platform::safe_relative_path(r.param("path"), "run file path");
    const platform::RunFile f = find_run_file(store, r.param("id"), path);
    return blob_download(r, s.ws().artifacts().blob_path(f.sha256), file_content_type(path));
  });
  router.add("PUT", p + "/files/{path...}",
             [&context](http::Request& r) { return upload(context, r); },
             {.max_body = kMaxUpload, .stream_body = true});
  router.add("GET", p + "/log", [&context](http::Request& r) { return log_stream(context, r); });
}

}  // namespace glia::server::api

// MLflow's artifact proxy (mlflow-artifacts:/<exp>/<run>/artifacts/<path>): uploads streamed into
// the artifact store as the run's files under outputs/ (so `glia run files` and `glia model
// register --run` see them), downloads streamed with byte ranges, and folder listings
// (docs/mlflow.md, "Artifacts").
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <vector>

#include "glia/http/range.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

constexpr uint64_t kMaxArtifact = uint64_t{1} << 40;  // 1 TiB: the disk is the limit

// <exp>/<run>/artifacts[/<path>]: the run and the path below its artifact root ("" for the root).
struct Location {
  platform::RunRecord run;
  std::string path;
  std::string file() const { return std::string(kArtifactRoot) + "/" + path; }
};

Location locate(platform::Store& store, const std::string& text, bool need_path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) {
      start = text.size();
      break;
    }
    start = slash + 1;
  }
  if (parts.size() < 3 || parts[2] != "artifacts" || parts[0].empty() || parts[1].empty())
    throw Error("artifact path '" + text +
                "' is not <experiment id>/<run id>/artifacts/<path> (Glia serves the artifacts "
                "of its runs only)");
  Location loc{run_by_id(store, parts[1]), {}};
  const auto e = experiment_by_name(store, loc.run.experiment);
  if (parts[0] != experiment_id_text(e) && parts[0] != std::to_string(e.id))
    throw Error(ErrorKind::NotFound, "run '" + loc.run.id + "' is not in experiment " + parts[0]);
  std::string rest = start < text.size() ? text.substr(start) : std::string();
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (!rest.empty()) loc.path = platform::safe_relative_path(rest, "artifact path");
  if (need_path && loc.path.empty())
    throw Error("artifact path '" + text + "' names no file below the run's artifacts");
  return loc;
}

http::Response upload(Call& call) {
  call.contributor("log artifacts");
  platform::Store& store = call.ws.store();
  const Location loc = locate(store, call.request.param("path"), true);
  if (run_is_deleted(store, loc.run.id))
    throw Error("run '" + loc.run.id + "' must be in the 'active' state; it is deleted");
  platform::check_new_run_file(store, loc.run.id, loc.file());  // a file and a folder at once
  auto artifacts = call.ws.artifacts();
  uint64_t size = 0;
  std::optional<std::string> sha;
  if (call.request.read_body) {
    sha = artifacts.put_stream(
        [&](const platform::ArtifactStore::ChunkWriter& write) {
          return call.request.read_body([&](const char* data, size_t n) {
            write(data, n);
            return true;
          });
        },
        &size);
  } else {  // a buffered request (tests): the body as it came
    sha = artifacts.put_bytes(call.request.body);
    size = call.request.body.size();
  }
  if (!sha) throw Error("the upload of '" + loc.path + "' did not complete; nothing was stored");
  store.add_run_files(loc.run.id,
                      {{loc.file(), *sha, static_cast<int64_t>(size), platform::now_seconds()}});
  return http::Response::json(json::object());
}

http::Response download(Call& call) {
  call.reader("read artifacts");
  platform::Store& store = call.ws.store();
  const Location loc = locate(store, call.request.param("path"), true);
  const auto files = store.run_files(loc.run.id);
  const auto it = std::find_if(files.begin(), files.end(),
                               [&](const platform::RunFile& f) { return f.path == loc.file(); });
  if (it == files.end())
    throw Error(ErrorKind::NotFound, "run '" + loc.run.id + "' has no artifact '" + loc.path + "'");
  const std::string blob = call.ws.artifacts().blob_path(it->sha256).string();
  const int fd = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot read the stored bytes of '" + loc.path + "'", errno);
  auto shared_fd = std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  return http::ranged_response(
      call.request, static_cast<uint64_t>(it->size), "application/octet-stream",
      [shared_fd](uint64_t offset, uint64_t length, http::BodySink& sink) {
        std::vector<char> buffer(std::min<uint64_t>(length, 1u << 20));
        while (length > 0) {
          const size_t want = static_cast<size_t>(std::min<uint64_t>(length, buffer.size()));
          const ssize_t n = ::pread(*shared_fd, buffer.data(), want, static_cast<off_t>(offset));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return false;
          if (!sink.write(buffer.data(), static_cast<size_t>(n))) return false;
          offset += static_cast<uint64_t>(n);
          length -= static_cast<uint64_t>(n);
        }
        return true;
      });
}

http::Response list(Call& call) {
  call.reader("list artifacts");
  platform::Store& store = call.ws.store();
  const auto path = optional_string(call.fields(), "path");
  if (!path || path->empty())
    throw Error("listing artifacts needs a path <experiment id>/<run id>/artifacts[/<path>]");
  const Location loc = locate(store, *path, false);
  const std::string prefix =
      std::string(kArtifactRoot) + "/" + (loc.path.empty() ? "" : loc.path + "/");
  std::set<std::string> folders;
  json files = json::array();
  for (const platform::RunFile& f : store.run_files(loc.run.id)) {
    if (f.path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = f.path.substr(prefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string::npos)
      files.push_back({{"path", rest}, {"is_dir", false}, {"file_size", f.size}});
    else
      folders.insert(rest.substr(0, slash));
  }
  for (const std::string& d : folders) files.push_back({{"path", d}, {"is_dir", true}});
  std::sort(files.begin(), files.end(), [](const json& a, const json& b) {
    return a["path"].get<std::string>() < b["path"].get<std::string>();
  });
  json body = json::object();
  if (!files.empty()) body["files"] = files;
  return http::Response::json(body);
}

}  // namespace

std::vector<Endpoint> artifact_endpoints() {
  return {
      {"PUT", "artifacts/{path...}", upload, Endpoint::kArtifacts, true, kMaxArtifact},
      {"GET", "artifacts/{path...}", download, Endpoint::kArtifacts},
      {"GET", "artifacts", list, Endpoint::kArtifacts},
  };
}

}  // namespace glia::server::mlflow

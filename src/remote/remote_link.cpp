// The link of a remote workspace (platform::RemoteLink over the HTTP layer's client), and
// enable(), which installs it for Workspace::open.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "glia/error.hpp"
#include "glia/http/client.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/run_status.hpp"
#include "glia/remote/remote.hpp"
#include "remote/remote_store.hpp"

namespace glia::remote {

namespace {

http::ClientOptions client_options(const platform::RemoteConfig& c, const std::string& token) {
  http::ClientOptions o;
  o.url = c.url;
  o.token = token;
  o.ca_file = c.ca_file;
  return o;
}

class HttpLink : public platform::RemoteLink {
 public:
  HttpLink(platform::RemoteConfig config, std::filesystem::path root)
      : config_(std::move(config)),
        root_(std::move(root)),
        token_(resolve_token(config_)),
        client_(std::make_shared<http::Client>(client_options(config_, token_))),
        prefix_("/api/v1/workspaces/" + config_.workspace) {}

  std::shared_ptr<platform::Store> store() override {
    auto pusher =
        std::make_shared<BlobPusher>(client_, config_.workspace, root_ / ".glia" / "artifacts");
    return std::make_shared<RemoteStore>(client_, config_.workspace, std::move(pusher));
  }

  bool fetch_blob(const std::string& sha256, const platform::ArtifactStore& cache) override {
    platform::BlobWriter blob(cache);
    try {
      client_->download(prefix_ + "/blobs/" + sha256, [&](const char* data, size_t size) {
        blob.write(data, size);
        return true;
      });
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::NotFound) return false;
      throw;
    }
    blob.commit(sha256);  // bytes that are not the blob's are refused (Corrupt answers)
    return true;
  }

  platform::EndpointKeys endpoint_keys(const std::string& name,
                                       const std::string& regenerate) override {
    platform::check_endpoint_name(name);  // letters, digits, ".-_": a path segment as it is
    const std::string path = prefix_ + "/endpoints/" + name + "/keys";
    const nlohmann::json j = regenerate.empty() ? client_->get_json(path)
                                                : client_->send_json("POST", path + "/regenerate",
                                                                     {{"keyType", regenerate}});
    for (const char* k : {"primaryKey", "secondaryKey"})
      if (!j.contains(k) || !j[k].is_string())
        throw Error(ErrorKind::Corrupt,
                    "the server's answer for the keys of endpoint '" + name + "' lacks " + k);
    return {j["primaryKey"].get<std::string>(), j["secondaryKey"].get<std::string>()};
  }

  std::string endpoint_log_tail(const std::string& name, int64_t tail, bool access) override {
    platform::check_endpoint_name(name);
    const auto r =
        client_->request("GET",
                         prefix_ + "/endpoints/" + name + "/logs?tail=" + std::to_string(tail) +
                             (access ? "&access=true" : ""),
                         "", "", /*idempotent=*/true);
    if (r.status >= 400) throw http::error_of_response(r.status, r.body, "endpoint " + name);
    return r.body;
  }

  std::filesystem::path server_root() override {
    std::lock_guard lock(mutex_);
    if (server_root_.empty()) {
      const auto j = client_->get_json(prefix_);
      if (!j.contains("root") || !j["root"].is_string())
        throw Error(ErrorKind::Corrupt,
                    "the server did not say where workspace '" + config_.workspace + "' is");
      server_root_ = j["root"].get<std::string>();
    }
    return server_root_;
  }

  platform::RunRecord follow_log(const std::string& run_id,
                                 const std::function<void(std::string_view)>& sink,
                                 const platform::FollowOptions& options) override;

 private:
  platform::RemoteConfig config_;
  std::filesystem::path root_;
  std::string token_;
  std::shared_ptr<http::Client> client_;
  std::string prefix_;
  std::mutex mutex_;
  std::filesystem::path server_root_;
};

// The log streams on a thread of its own (the server sends it as it grows and ends it when the
// run ends), while this thread watches the run's status as the local follow_log does.
platform::RunRecord HttpLink::follow_log(const std::string& run_id,
                                         const std::function<void(std::string_view)>& sink,
                                         const platform::FollowOptions& options) {
  auto store = this->store();
  platform::RunRecord run = store->get_run(run_id);
  if (options.on_status) options.on_status(run);
  struct Shared {
    std::mutex mutex;
    std::vector<std::string> chunks;
    std::atomic<bool> done{false}, stop{false};
    std::optional<Error> error;
  };
  auto shared = std::make_shared<Shared>();
  http::ClientOptions stream_options = client_->options();
  stream_options.timeout_s = 24 * 3600;  // a job may print nothing for hours
  stream_options.max_attempts = 1;       // a live stream cannot resume
  auto stream_client = std::make_shared<http::Client>(stream_options);
  const std::string path = prefix_ + "/runs/" + run_id + "/log";
  std::thread reader([shared, stream_client, path] {
    try {
      stream_client->download(path, [&](const char* data, size_t size) {
        std::lock_guard lock(shared->mutex);
        shared->chunks.emplace_back(data, size);
        return !shared->stop.load();
      });
    } catch (const Error& e) {
      std::lock_guard lock(shared->mutex);
      shared->error = e;
    }
    shared->done = true;
  });
  auto pass_on = [&] {
    std::vector<std::string> chunks;
    {
      std::lock_guard lock(shared->mutex);
      chunks.swap(shared->chunks);
    }
    for (const auto& c : chunks) sink(c);
  };
  // Whatever ends this function early (a failed status call, the sink), the reader is told to
  // stop and let go of (it holds only shared state), never left joinable.
  struct Release {
    std::thread& reader;
    Shared& shared;
    ~Release() {
      shared.stop = true;
      if (reader.joinable()) reader.detach();
    }
  } release{reader, *shared};
  auto last_check = std::chrono::steady_clock::now();
  // The status as the local follower reads it, at most 4 times a second (each one a request).
  const auto poll = std::chrono::duration<double>(std::max(options.poll_seconds, 0.25));
  while (!shared->done) {
    pass_on();
    if (options.stop && options.stop->load())  // the reader ends with the next chunk
      return store->get_run(run_id);
    platform::RunRecord now = store->get_run(run_id);
    if (now.status != run.status && options.on_status) options.on_status(now);
    run = now;
    if (std::chrono::steady_clock::now() - last_check >= std::chrono::seconds(1)) {
      last_check = std::chrono::steady_clock::now();
      if (options.keep_alive) options.keep_alive();
    }
    std::this_thread::sleep_for(poll);
  }
  reader.join();
  pass_on();
  if (shared->error) throw *shared->error;
  platform::RunRecord end = store->get_run(run_id);
  if (end.status != run.status && options.on_status) options.on_status(end);
  return end;
}

}  // namespace

void enable() {
  platform::set_remote_connector(
      [](const platform::RemoteConfig& config,
         const std::filesystem::path& root) -> std::shared_ptr<platform::RemoteLink> {
        return std::make_shared<HttpLink>(config, root);
      });
}

std::string only_workspace(const platform::RemoteConfig& config, const std::string& token) {
  http::Client client(client_options(config, token));
  const auto j = client.get_json("/api/v1/workspaces");
  std::vector<std::string> names;
  if (j.is_object() && j.contains("workspaces") && j["workspaces"].is_array())
    for (const auto& w : j["workspaces"])
      if (w.is_object() && w.contains("name") && w["name"].is_string())
        names.push_back(w["name"].get<std::string>());
  if (names.empty())
    throw Error(ErrorKind::NotFound, "the token opens no workspace on " + config.url);
  if (names.size() > 1) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error("the token opens several workspaces on " + config.url + " (" + list +
                "): choose one with --name");
  }
  return names[0];
}

std::string check_connection(const platform::RemoteConfig& config, const std::string& token) {
  http::Client client(client_options(config, token));
  return client.get_json("/api/v1/workspaces/" + config.workspace).dump();
}

}  // namespace glia::remote

// The HTTP client over cpp-httplib.
#include "glia/http/client.hpp"

#include <httplib.h>

#include <chrono>
#include <regex>
#include <thread>

#include "glia/error_kinds.hpp"

namespace glia::http {

namespace {

bool retryable_status(int status) {
  return status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds backoff(int attempt) {
  return std::chrono::milliseconds(200 << std::min(attempt, 6));
}

class ClientSink : public BodySink {
 public:
  explicit ClientSink(httplib::DataSink& sink) : sink_(sink) {}
  bool write(const char* data, size_t size) override {
    return size == 0 || sink_.write(data, size);
  }
  bool stopping() const override { return false; }

 private:
  httplib::DataSink& sink_;
};

}  // namespace

struct Client::Impl {
  std::string scheme_host_port, prefix, what;
  std::unique_ptr<httplib::Client> http;
  httplib::Headers headers;
};

Error error_of_response(int status, const std::string& body, const std::string& what) {
  try {
    const auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      const auto& e = j["error"];
      const auto kind = error_kind_named(e.value("kind", ""));
      const std::string message = e.value("message", "");
      if (kind && !message.empty()) return Error(*kind, message);
    }
  } catch (const nlohmann::json::exception&) {
  }
  return Error(error_kind_of_status(status), "HTTP " + std::to_string(status) + " from " + what);
}

Client::Client(ClientOptions options) : options_(std::move(options)), impl_(new Impl) {
  static const std::regex url_rx(
      R"(^(https?)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:(\d{1,5}))?(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(options_.url, m, url_rx))
    throw Error("server URL '" + options_.url +
                "': expected http(s)://HOST[:PORT][/PREFIX], e.g. https://glia.example.com:8443");
  impl_->scheme_host_port = m[1].str() + "://" + m[2].str() + (m[3].matched ? m[3].str() : "");
  impl_->prefix = m[5].matched ? m[5].str() : "";
  while (!impl_->prefix.empty() && impl_->prefix.back() == '/') impl_->prefix.pop_back();
  impl_->what = impl_->scheme_host_port + impl_->prefix;
  impl_->http = std::make_unique<httplib::Client>(impl_->scheme_host_port);
  auto& h = *impl_->http;
  const auto secs = [](double s) { return static_cast<time_t>(s); };
  const auto usecs = [](double s) {
    return static_cast<time_t>((s - static_cast<double>(static_cast<time_t>(s))) * 1e6);
  };
  h.set_connection_timeout(secs(options_.connect_timeout_s), usecs(options_.connect_timeout_s));
  h.set_read_timeout(secs(options_.timeout_s), usecs(options_.timeout_s));
  h.set_write_timeout(secs(options_.timeout_s), usecs(options_.timeout_s));
  h.set_keep_alive(true);
  if (m[1].str() == "https") {
    h.enable_server_certificate_verification(true);
    if (!options_.ca_file.empty()) h.set_ca_cert_path(options_.ca_file);
  }
  if (!options_.token.empty()) impl_->headers.emplace("Authorization", "Bearer " + options_.token);
}

Client::~Client() = default;

ClientResponse Client::request(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type,
                               bool idempotent) {
  const bool safe =
      idempotent || method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
  const int attempts = safe ? std::max(1, options_.max_attempts) : 1;
  const std::string full = impl_->prefix + path;
  auto& h = *impl_->http;
  for (int attempt = 0;; ++attempt) {
    httplib::Result r =
        method == "GET"     ? h.Get(full, impl_->headers)
        : method == "HEAD"  ? h.Head(full, impl_->headers)
        : method == "POST"  ? h.Post(full, impl_->headers, body, content_type)
        : method == "PUT"   ? h.Put(full, impl_->headers, body, content_type)
        : method == "PATCH" ? h.Patch(full, impl_->headers, body, content_type)
        : method == "DELETE"
            ? h.Delete(full, impl_->headers, body, content_type)
            : throw Error(ErrorKind::Internal, "HTTP method " + method + " unsupported");
    const bool failed = !r || retryable_status(r->status);
    if (!failed || attempt + 1 >= attempts) {
      if (!r)
        throw Error(ErrorKind::Unavailable,
                    "cannot reach " + impl_->what + ": " + httplib::to_string(r.error()));
      ClientResponse out{r->status, {}, std::move(r->body)};
      for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
      return out;
    }
    std::this_thread::sleep_for(backoff(attempt));
  }
}

nlohmann::json Client::get_json(const std::string& path) {
  return send_json("GET", path, nullptr);
}

nlohmann::json Client::send_json(const std::string& method, const std::string& path,
                                 const nlohmann::json& body, bool idempotent) {
  const std::string text = body.is_null() ? "" : body.dump();
  const ClientResponse r = request(method, path, text, "application/json", idempotent);
  if (r.status >= 400) throw error_of_response(r.status, r.body, method + " " + path);
  if (r.body.empty()) return nullptr;
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::parse_error&) {
    throw Error(ErrorKind::Corrupt, method + " " + path + " on " + impl_->what +
                                        ": the answer is not JSON (is this a Glia server?)");
  }
}

ClientResponse Client::download(const std::string& path, const ChunkReceiver& receive,
                                uint64_t offset) {
  const std::string full = impl_->prefix + path;
  auto& h = *impl_->http;
  for (int attempt = 0;; ++attempt) {
    httplib::Headers headers = impl_->headers;
    const uint64_t resume_from = offset;
    if (offset > 0) headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");
    int status = 0;
    std::string error_body;
    bool receiver_stopped = false;
    httplib::Result r = h.Get(
        full, headers,
        [&](const httplib::Response& res) {
          status = res.status;
          // Resuming: a server that ignored the Range would send the whole body again.
          return !(resume_from > 0 && status == 200);
        },
        [&](const char* data, size_t size) {
          if (status >= 400) {
            if (error_body.size() < (1u << 16)) error_body.append(data, size);
            return true;
          }
          if (!receive(data, size)) {
            receiver_stopped = true;
            return false;
          }
          offset += size;
          return true;
        });
    if (status >= 400) throw error_of_response(status, error_body, "GET " + path);
    if (resume_from > 0 && status == 200)
      throw Error(ErrorKind::Unavailable,
                  "GET " + path + ": the server does not resume downloads (no Range support)");
    if (receiver_stopped) return ClientResponse{status, {}, {}};
    if (r) {
      ClientResponse out{r->status, {}, {}};
      for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
      return out;
    }
    if (attempt + 1 >= std::max(1, options_.max_attempts))
      throw Error(ErrorKind::Unavailable,
                  "GET " + path + " from " + impl_->what + ": " + httplib::to_string(r.error()));
    std::this_thread::sleep_for(backoff(attempt));  // then resume from `offset`
  }
}

nlohmann::json Client::upload(const std::string& path, uint64_t size, const Producer& produce,
                              const std::string& content_type) {
  const std::string full = impl_->prefix + path;
  auto& h = *impl_->http;
  for (int attempt = 0;; ++attempt) {
    httplib::Result r = size == 0 ? h.Put(full, impl_->headers, std::string(), content_type)
                                  : h.Put(
                                        full, impl_->headers, static_cast<size_t>(size),
                                        [&](size_t offset, size_t length, httplib::DataSink& sink) {
                                          ClientSink out(sink);
                                          return produce(offset, length, out);
                                        },
                                        content_type);
    if (r && !retryable_status(r->status)) {
      if (r->status >= 400) throw error_of_response(r->status, r->body, "PUT " + path);
      if (r->body.empty()) return nullptr;
      try {
        return nlohmann::json::parse(r->body);
      } catch (const nlohmann::json::parse_error&) {
        throw Error(ErrorKind::Corrupt, "PUT " + path + ": the answer is not JSON");
      }
    }
    if (attempt + 1 >= std::max(1, options_.max_attempts)) {
      if (r) throw error_of_response(r->status, r->body, "PUT " + path);
      throw Error(ErrorKind::Unavailable,
                  "PUT " + path + " to " + impl_->what + ": " + httplib::to_string(r.error()));
    }
    std::this_thread::sleep_for(backoff(attempt));
  }
}

}  // namespace glia::http

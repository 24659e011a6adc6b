// The HTTP client over cpp-httplib.
#include "glia/http/client.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
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

// cpp-httplib 0.11 says "Connection" alike for a refused connection, an unknown host and one
// that cannot be reached: the system is asked which it was, by resolving the host and trying one
// connection (at most `timeout_s`).
std::string connection_cause(const std::string& host, int port, double timeout_s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL
               ? "host '" + host + "' not found"
               : "cannot look up host '" + host + "': " + ::gai_strerror(rc);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  int err = 0;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::max(0.1, timeout_s) * 1000));
      socklen_t len = sizeof err;
      if (ready <= 0)
        err = ETIMEDOUT;
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    }
    ::close(fd);
    if (err == 0) break;
  }
  switch (err) {
    case 0:
      return "the connection failed (a new one succeeded: try again)";
    case ECONNREFUSED:
      return "connection refused (nothing listens on port " + std::to_string(port) + ")";
    case ETIMEDOUT:
      return "connection timed out";
    case ENETUNREACH:
      return "network unreachable";
    case EHOSTUNREACH:
      return "host unreachable";
    default:
      return std::string("cannot connect: ") + std::strerror(err);
  }
}

}  // namespace

struct Client::Impl {
  std::string scheme_host_port, prefix, what;
  std::string host;  // as resolved: no IPv6 brackets
  int port = 0;
  double connect_timeout_s = 0;
  // Why a request got no answer, in words (cpp-httplib names its error only as an enum).
  std::string cause(httplib::Error e) const {
    switch (e) {
      case httplib::Error::Connection:
        return connection_cause(host, port, connect_timeout_s);
      case httplib::Error::ConnectionTimeout:
        return "connection timed out";
      case httplib::Error::Read:
        return "the connection broke or timed out before the answer came";
      case httplib::Error::Write:
        return "the connection broke or timed out while sending";
      case httplib::Error::SSLConnection:
        return "the TLS handshake failed";
      case httplib::Error::SSLLoadingCerts:
        return "the CA certificates could not be loaded";
      case httplib::Error::SSLServerVerification:
        return "the server's TLS certificate could not be verified";
      case httplib::Error::Canceled:
        return "canceled";
      case httplib::Error::Compression:
        return "the answer's compressed body could not be read";
      case httplib::Error::ExceedRedirectCount:
        return "too many redirects";
      default:
        return "no answer (" + httplib::to_string(e) + ")";
    }
  }
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
  impl_->host = m[2].str();
  if (impl_->host.front() == '[') impl_->host = impl_->host.substr(1, impl_->host.size() - 2);
  impl_->port = m[4].matched ? std::stoi(m[4].str()) : m[1].str() == "https" ? 443 : 80;
  impl_->connect_timeout_s = options_.connect_timeout_s;
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
  h.set_tcp_nodelay(true);  // headers and body are separate writes (see server.cpp)
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
                    "cannot reach " + impl_->what + ": " + impl_->cause(r.error()));
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
    std::string error_body, wrong_part;
    bool receiver_stopped = false;
    httplib::Result r = h.Get(
        full, headers,
        [&](const httplib::Response& res) {
          status = res.status;
          // Resuming: a server that ignored the Range would send the whole body again.
          if (resume_from > 0 && status == 200) return false;
          // ... and a part must start where the client asked ("bytes FIRST-LAST/SIZE").
          if (resume_from > 0 && status == 206) {
            const std::string range = res.get_header_value("Content-Range");
            if (range.rfind("bytes " + std::to_string(resume_from) + "-", 0) != 0) {
              wrong_part = range.empty() ? "no Content-Range" : "Content-Range '" + range + "'";
              return false;
            }
          }
          return true;
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
    if (!wrong_part.empty())
      throw Error(ErrorKind::Corrupt, "GET " + path + ": asked for the bytes from " +
                                          std::to_string(resume_from) + ", the server answered " +
                                          wrong_part);
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
                  "GET " + path + " from " + impl_->what + ": " + impl_->cause(r.error()));
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
                  "PUT " + path + " to " + impl_->what + ": " + impl_->cause(r.error()));
    }
    std::this_thread::sleep_for(backoff(attempt));
  }
}

}  // namespace glia::http

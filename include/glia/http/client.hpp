// The one HTTP client (cpp-httplib, TLS through OpenSSL): JSON calls and streamed transfers to a
// Glia server with its API token, error bodies turned back into glia::Error of the same kind,
// and retries of the requests that are safe to repeat.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glia/http/message.hpp"

namespace glia::http {

struct ClientOptions {
  /// http(s)://host[:port][/prefix]; paths given to calls are appended to the prefix.
  std::string url;
  std::string token;    // sent as `Authorization: Bearer TOKEN` when not empty
  std::string ca_file;  // PEM bundle to verify the server with (empty: the system's)
  double connect_timeout_s = 10, timeout_s = 60;
  /// Attempts for a request that is safe to repeat (GET, HEAD, PUT, DELETE, or a POST the
  /// caller marks idempotent): a connection failure or 502/503/504 is tried again after 0.2 s,
  /// 0.4 s, 0.8 s, ...
  int max_attempts = 4;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

class Client {
 public:
  /// Throws glia::Error (InvalidArgument) for a URL that is not http(s)://host[:port][/prefix].
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  /// A call whose answer is JSON. A status >= 400 throws glia::Error with the kind the error body
  /// names (or the status stands for) and its message; no answer throws Unavailable.
  nlohmann::json get_json(const std::string& path);
  nlohmann::json send_json(const std::string& method, const std::string& path,
                           const nlohmann::json& body, bool idempotent = false);

  /// Streams a GET's body into `receive` from byte `offset` on (a Range request when > 0), and
  /// returns the response with an empty body. A failed attempt resumes where it stopped.
  ClientResponse download(const std::string& path, const ChunkReceiver& receive,
                          uint64_t offset = 0);
  /// Streams `size` bytes produced by `produce(offset, length, sink)` as a PUT body (retried
  /// whole when it fails: the producer must be able to start again), returns the JSON answer.
  using Producer = std::function<bool(uint64_t offset, uint64_t length, BodySink& sink)>;
  nlohmann::json upload(const std::string& path, uint64_t size, const Producer& produce,
                        const std::string& content_type = "application/octet-stream");

  /// The raw call under the others: no error mapping (status as answered), retries as above.
  ClientResponse request(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& content_type, bool idempotent);

 private:
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

/// The glia::Error a failed answer stands for (its error body's kind and message, else the
/// status's kind and "HTTP <status> from <what>").
Error error_of_response(int status, const std::string& body, const std::string& what);

}  // namespace glia::http

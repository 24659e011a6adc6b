// What the REST API's route groups share, and register_api_routes.
#include "server/api/api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <memory>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/http/range.hpp"
#include "server/routes.hpp"

namespace glia::server {

namespace api {

Scope authorize(ServerContext& context, http::Request& request, platform::Role need,
                const std::string& action) {
  // No token is a 401 before anything else is looked at, even the workspace's name.
  if (!context.request_credential(request))
    throw Error(ErrorKind::Unauthenticated,
                "no API token: send 'Authorization: Bearer <token>' (glia token create makes one)");
  ServedWorkspace& served = context.workspace(request.param("ws"));
  platform::Principal principal = context.authorize(request, served, need, action);
  return Scope{served, std::move(principal)};
}

std::optional<std::string> query_text(const http::Request& request, const std::string& name) {
  if (request.query.count(name) > 1)
    throw Error("query parameter '" + name + "' is given more than once");
  return request.query_value(name);
}

std::optional<int64_t> query_int(const http::Request& request, const std::string& name, int64_t min,
                                 int64_t max) {
  const auto text = query_text(request, name);
  if (!text) return std::nullopt;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [p, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || p != end || value < min || value > max)
    throw Error("query parameter '" + name + "' = " + quote_bytes(*text) +
                ": expected an integer " + std::to_string(min) + " to " + std::to_string(max));
  return value;
}

std::optional<bool> query_bool(const http::Request& request, const std::string& name) {
  const auto text = query_text(request, name);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  throw Error("query parameter '" + name + "' = " + quote_bytes(*text) +
              ": expected true or false");
}

void allow_only(const http::Request& request, std::initializer_list<const char*> known) {
  for (const auto& [name, value] : request.query)
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return name == k; }))
      throw Error("unknown query parameter " + quote_bytes(name) + " for " + request.method + " " +
                  quote_bytes(request.path));
}

nlohmann::json json_object_body(const http::Request& request,
                                std::initializer_list<const char*> known) {
  nlohmann::json body = request.json_body();
  if (!body.is_object()) throw Error("request body: expected a JSON object");
  for (const auto& [key, value] : body.items())
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
      throw Error("request body: unknown field " + quote_bytes(key));
  return body;
}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

http::Response blob_download(const http::Request& request, const std::filesystem::path& blob,
                             const std::string& content_type) {
  auto file = std::make_shared<Fd>();
  file->fd = ::open(blob.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0) throw os_error("cannot open '" + blob.string() + "'", errno);
  const off_t size = ::lseek(file->fd, 0, SEEK_END);
  if (size < 0) throw os_error("cannot read '" + blob.string() + "'", errno);
  http::Response response = http::ranged_response(
      request, static_cast<uint64_t>(size), content_type,
      [file](uint64_t offset, uint64_t length, http::BodySink& sink) {
        constexpr size_t kPiece = 256 * 1024;
        std::unique_ptr<char[]> buffer(new char[kPiece]);
        while (length > 0) {
          const size_t want = static_cast<size_t>(std::min<uint64_t>(length, kPiece));
          const ssize_t n = ::pread(file->fd, buffer.get(), want, static_cast<off_t>(offset));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return false;  // a read error or a file cut short: abort the response
          if (!sink.write(buffer.get(), static_cast<size_t>(n))) return false;
          offset += static_cast<uint64_t>(n);
          length -= static_cast<uint64_t>(n);
        }
        return true;
      });
  // Stored files are whatever a job or a user wrote: a browser shown one (an image opened from
  // the web view) never guesses another type, and never runs it as a page of this origin.
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'");
  return response;
}

std::string file_content_type(const std::string& path) {
  const size_t dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Raster images only: an SVG can hold scripts.
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  return "application/octet-stream";
}

std::pair<std::string, uint64_t> receive_blob(http::Request& r, platform::ArtifactStore& artifacts,
                                              const std::string& what,
                                              const std::string& expected_sha256) {
  if (!r.read_body) throw Error(ErrorKind::Internal, "upload route without a streamed body");
  if (!r.header("Content-Length") && !r.header_list("Transfer-Encoding"))
    throw Error("request body: missing (send the bytes; Content-Length: 0 for none)");
  platform::BlobWriter blob(artifacts);
  std::optional<Error> failed;
  const bool complete = r.read_body([&](const char* data, size_t size) {
    try {
      blob.write(data, size);
      return true;
    } catch (const Error& e) {  // a full disk: stop reading, answer with its kind
      failed = e;
      return false;
    }
  });
  if (failed) throw *failed;
  if (!complete)  // the client went away or sent too much (then the answer is 413)
    throw Error("upload of " + what + " did not complete; nothing was stored");
  const uint64_t size = blob.size();
  return {blob.commit(expected_sha256), size};
}

std::optional<int64_t> version_param(const http::Request& request, const std::string& what) {
  const std::string& text = request.param("version");
  if (text == "latest") return std::nullopt;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || p != end || value < 1)
    throw Error(what + " version " + quote_bytes(text) + ": expected a positive number or latest");
  return value;
}

int64_t body_int(const nlohmann::json& body, const char* name, int64_t min, int64_t max) {
  const auto v = json_integer(body.at(name), min, max);
  if (!v)
    throw Error(std::string("'") + name + "': expected an integer " + std::to_string(min) + " to " +
                std::to_string(max));
  return *v;
}

std::string body_text(const nlohmann::json& body, const char* name) {
  const auto& v = body.at(name);
  if (!v.is_string()) throw Error(std::string("'") + name + "': expected a string");
  return v.get<std::string>();
}

std::optional<int64_t> json_integer(const nlohmann::json& v, int64_t min, int64_t max) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    const auto i = static_cast<int64_t>(u);
    return i >= min && i <= max ? std::optional<int64_t>(i) : std::nullopt;
  }
  if (v.is_number_integer()) {
    const auto i = v.get<int64_t>();
    return i >= min && i <= max ? std::optional<int64_t>(i) : std::nullopt;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d))
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace api

void register_api_routes(http::Router& router, ServerContext& context) {
  api::register_openapi_route(router);
  api::register_workspace_routes(router, context);
  api::register_search_routes(router, context);  // before /runs/{id}
  api::register_run_routes(router, context);
  api::register_event_routes(router, context);
  api::register_table_routes(router, context);
  api::register_metric_routes(router, context);
  api::register_file_routes(router, context);
  api::register_asset_routes(router, context);
  api::register_compute_routes(router, context);
  api::register_endpoint_routes(router, context);
  api::register_job_routes(router, context);
  api::register_store_routes(router, context);
  api::register_blob_routes(router, context);
}

}  // namespace glia::server

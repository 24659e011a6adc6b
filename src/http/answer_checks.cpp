#include "http/answer_checks.hpp"

#include <cstdio>
#include <string>

#include "glia/escape.hpp"

namespace glia::http {

bool headers_are_single_lines(const Request& request, const Response& response) {
  for (const auto& [name, value] : response.headers)
    if ((name + value).find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      std::fprintf(stderr,
                   "glia server: %s %s: internal error: response header %s holds a line break\n",
                   escape_bytes(request.method).c_str(), escape_bytes(request.path).c_str(),
                   escape_bytes(name).c_str());
      return false;
    }
  return true;
}

void choose_encoding(httplib::Headers& request_headers, const Response& response) {
  const auto it = request_headers.find("Accept-Encoding");
  if (it == request_headers.end()) return;
  const bool gzip = !(response.stream && !response.content_length) &&
                    it->second.find("gzip") != std::string::npos;
  request_headers.erase("Accept-Encoding");
  if (gzip) request_headers.emplace("Accept-Encoding", "gzip");
}

void guard_stream(const Request& request, Response& response) {
  if (!response.stream) return;
  response.stream = [stream = std::move(response.stream), method = request.method,
                     path = request.path](BodySink& sink) {
    std::string what;
    try {
      return stream(sink);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    std::fprintf(stderr, "glia server: %s %s: the streamed answer failed: %s\n",
                 escape_bytes(method).c_str(), escape_bytes(path).c_str(),
                 escape_bytes(what).c_str());
    return false;  // aborted: the client sees the answer cut short, never as complete
  };
}

}  // namespace glia::http

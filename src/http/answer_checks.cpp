#include "http/answer_checks.hpp"

#include <strings.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

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

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether an Accept-Encoding list accepts gzip: "gzip" (or "x-gzip") with a q above 0, or "*"
// with one and gzip not named (RFC 9110 12.5.3; codings and "q" are case-insensitive).
bool accepts_gzip(std::string_view list) {
  std::optional<bool> named, any;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    bool accepted = true;
    if (semi != std::string_view::npos) {
      const std::string_view param = trim(item.substr(semi + 1));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
        accepted = std::strtod(std::string(param.substr(2)).c_str(), nullptr) > 0;
    }
    if (coding.size() == 4 && ::strncasecmp(coding.data(), "gzip", 4) == 0)
      named = accepted;
    else if (coding.size() == 6 && ::strncasecmp(coding.data(), "x-gzip", 6) == 0)
      named = named.value_or(false) || accepted;
    else if (coding == "*")
      any = accepted;
  }
  return named ? *named : any.value_or(false);
}

}  // namespace

void choose_encoding(httplib::Headers& request_headers, const Response& response) {
  const auto it = request_headers.find("Accept-Encoding");
  if (it == request_headers.end()) return;
  const bool gzip = !(response.stream && !response.content_length) && accepts_gzip(it->second);
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

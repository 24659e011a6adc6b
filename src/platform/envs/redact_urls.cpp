// URLs as logs may show them: credentials and query strings hidden.
#include <string>

#include "glia/platform/environments.hpp"

namespace glia::platform {

namespace {

std::string redact_one(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  std::string out = url;
  const auto host = scheme + 3;
  const auto path = out.find_first_of("/?#", host);
  const auto at = out.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at != std::string::npos && at >= host) out.replace(host, at - host, "***");
  const auto query = out.find('?', host);
  if (query != std::string::npos) out.replace(query + 1, std::string::npos, "***");
  return out;
}

}  // namespace

std::string redact_urls(const std::string& text) {
  std::string out, token;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n') {
      out += redact_one(token) + c;
      token.clear();
    } else {
      token += c;
    }
  }
  return out + redact_one(token);
}

}  // namespace glia::platform

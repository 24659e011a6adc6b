// PostgreSQL connection URLs (libpq's URIs or key=value strings), parsed by libpq itself: whether
// one carries a password, and the form messages and `glia workspace show` print (no password).
#include <libpq-fe.h>

#include <map>
#include <memory>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

namespace {

using Options = std::map<std::string, std::string>;

// libpq's reading of `url` (only the options it sets), or nullopt with libpq's message.
std::optional<Options> parse(const std::string& url, std::string* message) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> opts(
      PQconninfoParse(url.c_str(), &err), PQconninfoFree);
  if (!opts) {
    if (message) *message = err ? err : "out of memory";
    if (err) PQfreemem(err);
    return std::nullopt;
  }
  Options out;
  for (const PQconninfoOption* o = opts.get(); o->keyword; ++o)
    if (o->val && *o->val) out[o->keyword] = o->val;
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// libpq's reason with the URL's text it quotes left out: that text can be the password itself
// (`invalid percent-encoded token: "<password>"`, `missing "=" after "<text>"`). A quoted
// single character (`"="`) stays.
std::string without_quoted_text(const std::string& message) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t open = message.find('"', at);
    const size_t close = open == std::string::npos ? open : message.find('"', open + 1);
    if (close == std::string::npos) return out + message.substr(at);
    out += message.substr(at, open - at);
    out += close - open == 2 ? message.substr(open, 3) : std::string("\"...\"");
    at = close + 1;
  }
}

}  // namespace

bool is_postgres_url(const std::string& text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

bool postgres_url_has_password(const std::string& url) {
  std::string message;
  auto opts = parse(url, &message);
  if (!opts)
    throw Error("PostgreSQL URL '" + postgres_url_for_display(url) +
                "' is not valid: " + without_quoted_text(trimmed(message)));
  return opts->count("password") != 0;
}

std::string postgres_url_for_display(const std::string& url) {
  auto opts = parse(url, nullptr);
  if (!opts) return "postgresql://(a URL libpq cannot read)";
  std::string out = "postgresql://";
  if (auto u = opts->find("user"); u != opts->end()) out += u->second + "@";
  if (auto h = opts->find("host"); h != opts->end())
    out += h->second;
  else if (auto a = opts->find("hostaddr"); a != opts->end())
    out += a->second;
  if (auto p = opts->find("port"); p != opts->end()) out += ":" + p->second;
  if (auto d = opts->find("dbname"); d != opts->end()) out += "/" + d->second;
  return out;
}

}  // namespace glia::platform

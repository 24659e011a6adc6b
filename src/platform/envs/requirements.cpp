// pip requirements, normalized (PEP 508 lightly: PEP 503 names, sorted extras, specifiers
// without whitespace, markers with single spaces), and pip requirements files read into a spec.
#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/input_limits.hpp"

namespace glia::platform {
namespace {

constexpr std::string_view kExpected =
    "expected NAME[EXTRAS]SPECIFIERS[; MARKER] or NAME @ URL, e.g. numpy==1.26.4";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_name_char(char c) {
  return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

[[noreturn]] void refuse(const std::string& what, std::string_view text, const std::string& why) {
  throw Error(what + ": " + quote_bytes(text) + " is not a requirement: " + why + " (" +
              std::string(kExpected) + ")");
}

/// PEP 503: lower case, each run of '-', '_' and '.' as one '-'.
std::string normalize_name(std::string_view name) {
  std::string out;
  bool in_run = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      in_run = true;
      continue;
    }
    if (in_run) out += '-';
    in_run = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool valid_name(std::string_view name) {
  return !name.empty() && is_alnum(name.front()) && is_alnum(name.back()) &&
         std::all_of(name.begin(), name.end(), is_name_char);
}

/// Runs of whitespace as one space, none at the ends.
std::string collapse_spaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool is_version_char(char c) {
  return is_alnum(c) || c == '.' || c == '*' || c == '+' || c == '!' || c == '-' || c == '_';
}

/// "<2 , >= 1.0" → "<2,>=1.0": sorted, without duplicates or whitespace; "" when there are none.
std::string normalize_specifiers(const std::string& what, std::string_view text,
                                 std::string_view specifiers) {
  specifiers = trim(specifiers);
  if (specifiers.size() >= 2 && specifiers.front() == '(' && specifiers.back() == ')') {
    specifiers = trim(specifiers.substr(1, specifiers.size() - 2));  // PEP 508: "name (>=1.0)"
  }
  if (specifiers.empty()) return "";
  for (char c : specifiers) {
    if (c == '[' || c == ']' || c == '(' || c == ')') refuse(what, text, "unbalanced brackets");
  }
  static const std::vector<std::string> kOperators{"===", "~=", "==", "!=", "<=", ">=", "<", ">"};
  std::set<std::string> clauses;
  std::size_t start = 0;
  while (start <= specifiers.size()) {
    std::size_t end = specifiers.find(',', start);
    if (end == std::string_view::npos) end = specifiers.size();
    const std::string_view clause = trim(specifiers.substr(start, end - start));
    start = end + 1;
    const auto op = std::find_if(kOperators.begin(), kOperators.end(), [&](const std::string& o) {
      return clause.substr(0, o.size()) == o;
    });
    if (op == kOperators.end()) {
      refuse(what, text,
             clause.empty() ? std::string("an empty version specifier")
                            : "'" + std::string(clause) +
                                  "' has no operator (such as == or >=) before the version");
    }
    const std::string_view version = trim(clause.substr(op->size()));
    if (version.empty() || !std::all_of(version.begin(), version.end(), is_version_char)) {
      refuse(what, text, "'" + std::string(clause) + "' has no valid version after " + *op);
    }
    clauses.insert(*op + std::string(version));
  }
  std::string out;
  for (const auto& clause : clauses) out += (out.empty() ? "" : ",") + clause;
  return out;
}

/// The reason a pip option line is refused.
std::string option_message(const std::string& what, std::string_view line) {
  std::string why =
      "pip options are not accepted in an environment's requirements: the package index comes "
      "from PIP_INDEX_URL or pip.conf, and other requirements files are not followed (list "
      "their requirements here)";
  if (line.rfind("-e", 0) == 0 || line.rfind("--editable", 0) == 0) {
    why = "editable installs are not supported (give NAME or NAME @ URL)";
  }
  return what + ": " + quote_bytes(line) + " is a pip option, not a requirement: " + why;
}

/// Refuses a URL that carries credentials (secrets are never stored in clear, nor shown).
void check_url(const std::string& what, std::string_view text, const std::string& name,
               std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) {
    refuse(what, text, "the URL after '@' has no scheme (expected https://... or file://...)");
  }
  const std::string_view rest = url.substr(scheme + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    throw Error(what + ": the URL of requirement '" + name +
                "' carries credentials, which an environment never stores (configure them in "
                "pip.conf or ~/.netrc and give the URL without them)");
  }
}

}  // namespace

std::string normalize_requirement(const std::string& text, const std::string& what) {
  const std::string_view s = trim(text);
  if (s.empty()) {
    throw Error(what + ": empty requirement (" + std::string(kExpected) + ")");
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      refuse(what, s, "it holds a control character");
    }
  }
  if (s.front() == '-') throw Error(option_message(what, s));
  if (s.find("${") != std::string_view::npos) {
    refuse(what, s,
           "environment variable references (${...}) are not expanded; write the value (the "
           "index and its credentials belong in PIP_INDEX_URL or pip.conf)");
  }

  const std::string_view before_marker = s.substr(0, s.find(';'));
  for (std::size_t k = 1; k + 1 < before_marker.size(); ++k) {
    if (is_space(before_marker[k - 1]) && before_marker[k] == '-' && before_marker[k + 1] == '-') {
      refuse(what, s,
             "per-requirement options (" + std::string(before_marker.substr(k)) +
                 ") are not accepted; give the requirement alone");
    }
  }

  std::size_t i = 0;
  while (i < s.size() && is_name_char(s[i])) ++i;
  const std::string_view name = s.substr(0, i);
  if (name.empty() || !is_alnum(name.front())) {
    refuse(what, s, "it does not start with a package name (a letter or digit)");
  }
  if (!valid_name(name)) refuse(what, s, "a package name ends with a letter or digit");
  std::string out = normalize_name(name);

  while (i < s.size() && is_space(s[i])) ++i;
  if (i < s.size() && s[i] == '[') {
    const std::size_t close = s.find(']', i);
    if (close == std::string_view::npos) refuse(what, s, "unbalanced brackets ('[' without ']')");
    const std::string_view inner = s.substr(i + 1, close - i - 1);
    if (inner.find('[') != std::string_view::npos) refuse(what, s, "unbalanced brackets");
    std::set<std::string> extras;
    if (!trim(inner).empty()) {
      std::size_t start = 0;
      while (start <= inner.size()) {
        std::size_t end = inner.find(',', start);
        if (end == std::string_view::npos) end = inner.size();
        const std::string_view extra = trim(inner.substr(start, end - start));
        start = end + 1;
        if (!valid_name(extra)) {
          refuse(what, s, "'" + std::string(extra) + "' is not an extra's name");
        }
        extras.insert(normalize_name(extra));
      }
    }
    if (!extras.empty()) {
      out += '[';
      bool first = true;
      for (const auto& extra : extras) {
        out += (first ? "" : ",") + extra;
        first = false;
      }
      out += ']';
    }
    i = close + 1;
    while (i < s.size() && is_space(s[i])) ++i;
  }

  if (i < s.size() && s[i] == '@') {
    // A direct reference: "name @ URL", a marker after whitespace and ';'.
    std::string_view rest = s.substr(i + 1);
    std::string marker;
    for (std::size_t k = 1; k < rest.size(); ++k) {
      if (rest[k] == ';' && is_space(rest[k - 1])) {
        marker = collapse_spaces(rest.substr(k + 1));
        if (marker.empty()) refuse(what, s, "nothing after ';' (expected a marker)");
        rest = rest.substr(0, k);
        break;
      }
    }
    const std::string_view url = trim(rest);
    if (url.empty()) refuse(what, s, "no URL after '@'");
    if (std::any_of(url.begin(), url.end(), is_space)) {
      refuse(what, s, "the URL after '@' holds whitespace");
    }
    check_url(what, s, out, url);
    out += " @ " + std::string(url);
    if (!marker.empty()) out += " ; " + marker;
    return out;
  }

  std::string_view rest = s.substr(i);
  std::string marker;
  const std::size_t semicolon = rest.find(';');
  if (semicolon != std::string_view::npos) {
    marker = collapse_spaces(rest.substr(semicolon + 1));
    if (marker.empty()) refuse(what, s, "nothing after ';' (expected a marker)");
    rest = rest.substr(0, semicolon);
  }
  out += normalize_specifiers(what, s, rest);
  if (!marker.empty()) out += "; " + marker;
  return out;
}

EnvironmentSpec parse_pip_requirements(const std::string& text, const std::string& source_name) {
  if (text.size() > kMaxJobFileBytes) {
    throw Error(source_name + ": the requirements file is larger than " +
                std::to_string(kMaxJobFileBytes) + " bytes (1 MiB), the most accepted");
  }
  // Lines, with pip's rules: a line ending in '\' (not a comment line) continues on the next;
  // '#' starts a comment at the start of a line or after whitespace.
  std::set<std::string> requirements;
  std::string logical;
  std::size_t logical_line = 0;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  const auto take = [&](const std::string& line, std::size_t number) {
    std::string_view content = line;
    for (std::size_t k = 0; k < content.size(); ++k) {
      if (content[k] == '#' && (k == 0 || is_space(content[k - 1]))) {
        content = content.substr(0, k);
        break;
      }
    }
    if (trim(content).empty()) return;
    requirements.insert(
        normalize_requirement(std::string(content), source_name + ":" + std::to_string(number)));
  };
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool comment_line = !trim(line).empty() && trim(line).front() == '#';
    if (!comment_line && !line.empty() && line.back() == '\\') {
      if (logical.empty()) logical_line = line_number;
      line.pop_back();
      logical += line;
      continue;
    }
    if (!logical.empty()) {
      take(logical + (comment_line ? " " : "") + line, logical_line);
      logical.clear();
    } else {
      take(line, line_number);
    }
  }
  if (!logical.empty()) take(logical, logical_line);
  if (requirements.empty()) {
    throw Error(source_name +
                ": no requirements (expected one per line, e.g. numpy==1.26.4; '#' starts a "
                "comment)");
  }
  EnvironmentSpec spec;
  spec.pip.assign(requirements.begin(), requirements.end());
  return spec;
}

}  // namespace glia::platform

// gitignore-style rules for code snapshots (see ignore_rules.hpp).
#include "ignore_rules.hpp"

#include <fnmatch.h>

#include <fstream>
#include <sstream>

#include "glia/error.hpp"

namespace glia::platform::artifacts {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(s.find('/', start), s.size());
    if (end > start) parts.emplace_back(s.substr(start, end - start));
    if (end == s.size()) return parts;
    start = end + 1;
  }
}

// Strips a line's end: '\r' and unescaped trailing spaces, as git does.
std::string_view trim_end(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
    if (line.size() >= 2 && line[line.size() - 2] == '\\') break;
    line.remove_suffix(1);
  }
  return line;
}

// Matches pattern components [pi..] against path components [ci..]. A "**" component matches
// zero or more path components, except at the end, where it needs at least one ("dir/**" is
// what is inside dir, not dir itself).
bool match_parts(const std::vector<std::string>& parts, size_t pi,
                 const std::vector<std::string_view>& path, size_t ci, std::string& scratch) {
  while (pi < parts.size()) {
    if (parts[pi] == "**") {
      if (pi + 1 == parts.size()) return ci < path.size();
      for (size_t k = ci; k <= path.size(); ++k)
        if (match_parts(parts, pi + 1, path, k, scratch)) return true;
      return false;
    }
    if (ci == path.size()) return false;
    scratch.assign(path[ci]);
    if (::fnmatch(parts[pi].c_str(), scratch.c_str(), FNM_PATHNAME) != 0) return false;
    ++pi;
    ++ci;
  }
  return ci == path.size();
}

}  // namespace

IgnoreRules IgnoreRules::load(const fs::path& dir) {
  for (const char* name : {".gliaignore", ".amlignore", ".gitignore"}) {
    const fs::path file = dir / name;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw Error("cannot read '" + file.string() + "'");
    return parse(text.str());
  }
  return {};
}

IgnoreRules IgnoreRules::parse(std::string_view text) {
  IgnoreRules rules;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = trim_end(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    Rule rule;
    if (line.front() == '!') {
      rule.negate = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      rule.dir_only = true;
      while (!line.empty() && line.back() == '/') line.remove_suffix(1);
    }
    // Anchored when a '/' is left at the start or in the middle; else the name matches anywhere.
    const bool anchored = line.find('/') != std::string_view::npos;
    rule.parts = split(line);
    if (rule.parts.empty()) continue;
    if (!anchored && rule.parts.front() != "**") rule.parts.insert(rule.parts.begin(), "**");
    rules.rules_.push_back(std::move(rule));
  }
  return rules;
}

bool IgnoreRules::ignored(std::string_view path, bool is_dir) const {
  if (rules_.empty()) return false;
  std::vector<std::string_view> components;
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(path.find('/', start), path.size());
    components.push_back(path.substr(start, end - start));
    if (end == path.size()) break;
    start = end + 1;
  }
  std::string scratch;
  bool excluded = false;
  for (const Rule& rule : rules_) {
    if (rule.dir_only && !is_dir) continue;
    if (rule.negate != excluded) continue;  // cannot change the outcome
    if (match_parts(rule.parts, 0, components, 0, scratch)) excluded = !rule.negate;
  }
  return excluded;
}

}  // namespace glia::platform::artifacts

// Which files a code snapshot leaves out: gitignore-style rules read from the folder's
// .gliaignore, else .amlignore, else .gitignore (the root file only).
//
//   - blank lines and lines starting with '#' are skipped; "\#" and "\!" start literal patterns
//   - "!pattern" re-includes what an earlier rule excluded (the last matching rule wins; a file
//     inside an excluded folder cannot be re-included, as with git)
//   - a trailing '/' matches folders only
//   - a leading '/' or a '/' in the middle anchors the pattern to the root; otherwise it matches
//     a file or folder name at any depth
//   - '*', '?' and '[...]' match within one path component (fnmatch(3), FNM_PATHNAME);
//     "**/" matches any number of leading folders, "/**" everything inside, "/**/" zero or more
//     folders in between
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace glia::platform::artifacts {

class IgnoreRules {
 public:
  /// The rules of `dir`'s .gliaignore, .amlignore or .gitignore (the first that exists); none
  /// when there is no such file. Throws glia::Error when the file exists but cannot be read.
  static IgnoreRules load(const std::filesystem::path& dir);
  /// Rules from the text of an ignore file.
  static IgnoreRules parse(std::string_view text);

  /// Whether `path` ('/'-separated, relative to the root) is excluded. Callers skip excluded
  /// folders without looking inside them.
  bool ignored(std::string_view path, bool is_dir) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::vector<std::string> parts;  // path components; "**" matches any number of them
    bool negate = false;
    bool dir_only = false;
  };
  std::vector<Rule> rules_;
};

}  // namespace glia::platform::artifacts

// Command placeholders: finding ${{inputs.x}} / ${{outputs.x}} / ${{search_space.x}} in a
// command, checking them against the declared inputs and outputs (and a sweep's search space),
// and rendering the command to run (shell quoting of paths, optional segments "[ ... ]" and
// Azure's "$[[ ... ]]"; search_space placeholders are left for render_search_space).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace job_spec_detail {

namespace {

constexpr std::string_view kOpen = "${{";
constexpr std::string_view kClose = "}}";
constexpr const char* kExpected =
    "(expected ${{inputs.NAME}}, ${{outputs.NAME}} or, in a sweep's trial, "
    "${{search_space.NAME}})";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string> names_of(const auto& map) {
  std::vector<std::string> names;
  for (const auto& entry : map) names.push_back(entry.first);
  return names;
}

}  // namespace

std::vector<Placeholder> scan_placeholders(const std::string& where, const std::string& command,
                                           const std::string& key) {
  std::vector<Placeholder> found;
  for (std::size_t pos = command.find(kOpen); pos != std::string::npos;
       pos = command.find(kOpen, pos)) {
    const std::size_t close = command.find(kClose, pos + kOpen.size());
    const std::size_t line_end = command.find('\n', pos);
    if (close == std::string::npos || close > line_end) {
      const std::size_t shown = std::min(line_end, command.find(' ', pos));
      fail(where, key + ": unterminated placeholder " +
                      in_quotes(std::string_view(command).substr(pos, shown - pos)) + " " +
                      kExpected);
    }
    Placeholder p;
    p.begin = pos;
    p.end = close + kClose.size();
    p.text = command.substr(pos, p.end - pos);
    const std::string_view inner =
        trim(std::string_view(command).substr(pos + kOpen.size(), close - pos - kOpen.size()));
    const std::size_t dot = inner.find('.');
    const std::string_view space = inner.substr(0, dot == std::string_view::npos ? 0 : dot);
    if (space == "inputs") {
      p.space = Placeholder::Space::Inputs;
    } else if (space == "outputs") {
      p.space = Placeholder::Space::Outputs;
    } else if (space == "search_space") {
      p.space = Placeholder::Space::SearchSpace;
    } else {
      fail(where, key + ": unsupported placeholder " + in_quotes(p.text) + " " + kExpected);
    }
    p.name = std::string(inner.substr(dot + 1));
    if (!is_identifier(p.name)) {
      fail(where, key + ": malformed placeholder " + in_quotes(p.text) + " " + kExpected);
    }
    found.push_back(std::move(p));
    pos = found.back().end;
  }
  return found;
}

void check_declared(const std::string& where, const JobSpec& spec,
                    const std::vector<Placeholder>& placeholders, const std::string& key) {
  for (const auto& p : placeholders) {
    if (p.space == Placeholder::Space::SearchSpace) continue;
    const bool declared = p.output() ? spec.outputs.contains(p.name) : spec.inputs.contains(p.name);
    if (declared) continue;
    const auto declared_names = p.output() ? names_of(spec.outputs) : names_of(spec.inputs);
    const std::string kind = p.output() ? "output" : "input";
    fail(where, key + " uses " + p.text + " but no " + kind + " '" + p.name + "' is declared (" +
                    (declared_names.empty() ? "no " + kind + "s are declared"
                                            : "declared " + kind + "s: " + join(declared_names)) +
                    ")");
  }
}

std::vector<Placeholder> check_placeholders(const std::string& where, const JobSpec& spec,
                                            const std::vector<std::string>* parameters,
                                            const std::string& key) {
  auto placeholders = scan_placeholders(where, spec.command, key);
  check_declared(where, spec, placeholders, key);
  std::vector<std::string> used;
  for (const auto& p : placeholders) {
    if (p.space != Placeholder::Space::SearchSpace) continue;
    if (parameters == nullptr) {
      fail(where, key + " uses " + p.text +
                      ": only a sweep's trial may use ${{search_space.NAME}} (this is a command "
                      "job; see docs/sweeps.md)");
    }
    if (!contains(*parameters, p.name)) {
      fail(where, key + " uses " + p.text + " but the search space has no parameter '" + p.name +
                      "' (parameters: " + join(*parameters) + ")");
    }
    used.push_back(p.name);
  }
  if (parameters != nullptr) {
    for (const auto& name : *parameters) {
      if (!contains(used, name)) {
        fail(where, "search_space." + name + ": never used: " + key + " has no ${{search_space." +
                        name + "}}, so its sampled values would not reach the trial");
      }
    }
  }
  return placeholders;
}

}  // namespace job_spec_detail

namespace {

using job_spec_detail::fail;
using job_spec_detail::Placeholder;

std::string shell_quote(const std::string& path) {
  const bool safe = !path.empty() && std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
  });
  if (safe) return path;
  std::string out = "'";
  for (char c : path) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class Renderer {
 public:
  Renderer(const JobSpec& spec, const std::map<std::string, std::string>& input_values,
           const std::function<std::string(const std::string&)>& output_dir)
      : spec_(spec), output_dir_(output_dir), where_(job_spec_detail::source_label(spec)) {
    // A sweep's trial keeps its ${{search_space.x}} (checked at parse) for render_search_space.
    placeholders_ = job_spec_detail::scan_placeholders(where_, spec.command);
    job_spec_detail::check_declared(where_, spec, placeholders_);
    for (const auto& [name, input] : spec.inputs) resolve(name, input, input_values);
  }

  std::string render() {
    const std::string& cmd = spec_.command;
    std::size_t pos = 0;
    while (pos < cmd.size()) {
      if (next_ < placeholders_.size() && placeholders_[next_].begin == pos) {
        pos = substitute(placeholders_[next_++]);
      } else if (cmd.compare(pos, 3, "$[[") == 0 && cmd.find("]]", pos + 3) != std::string::npos) {
        pos = segment(pos + 3, cmd.find("]]", pos + 3), 2, /*always_optional=*/true);
      } else if (cmd[pos] == '[' && bracket_end(pos) != std::string::npos) {
        pos = segment(pos + 1, bracket_end(pos), 1, /*always_optional=*/false);
      } else {
        out_ += cmd[pos++];
      }
    }
    return out_;
  }

 private:
  // The text substituted for each input (uri paths already quoted); nullopt: no value.
  void resolve(const std::string& name, const JobInput& input,
               const std::map<std::string, std::string>& input_values) {
    std::optional<std::string> value;
    if (const auto it = input_values.find(name); it != input_values.end()) {
      if (!it->second.empty()) value = it->second;
    } else if (!input.value.empty()) {
      const bool usable = input.kind == JobInput::Kind::Literal ||
                          (!input.is_dataset_reference() &&
                           (!job_spec_detail::is_url(input.value) || input.mode == "direct"));
      if (!usable) {
        fail(where_, "input '" + name + "' (" + input.value + ") was not resolved to a local path");
      }
      value = input.value;
    }
    if (!value && !input.optional) {
      fail(where_, "input '" + name +
                       "' has no value (give it a default or set it with --set inputs." + name +
                       "=VALUE)");
    }
    if (value && input.kind != JobInput::Kind::Literal) value = shell_quote(*value);
    values_[name] = value;
  }

  // Appends the placeholder's text; returns where the command continues.
  std::size_t substitute(const Placeholder& p) {
    if (p.space == Placeholder::Space::SearchSpace) {
      out_ += p.text;
      return p.end;
    }
    if (p.output()) {
      out_ += shell_quote(output_dir_ ? output_dir_(p.name) : "outputs/" + p.name);
      return p.end;
    }
    const auto& value = values_.at(p.name);
    if (!value) {
      fail(where_, "optional input '" + p.name + "' has no value but " + p.text +
                       " is outside an optional segment [ ... ] in the command");
    }
    out_ += *value;
    return p.end;
  }

  // The ']' closing the '[' at `open` when no other '[' comes first, else npos.
  std::size_t bracket_end(std::size_t open) const {
    const std::size_t next = spec_.command.find_first_of("[]", open + 1);
    return next != std::string::npos && spec_.command[next] == ']' ? next : std::string::npos;
  }

  // Renders the segment whose content is [begin, end) and whose closing bracket(s) take
  // `close_len` characters; returns where to continue. A segment holding a placeholder of an
  // optional input is optional: dropped when such an input has no value, else its content is
  // kept without the brackets. Other "[...]" segments stay literal (shell globs, [[ tests ]]).
  std::size_t segment(std::size_t begin, std::size_t end, std::size_t close_len,
                      bool always_optional) {
    bool optional = always_optional;
    bool missing = false;
    std::size_t last = next_;
    for (; last < placeholders_.size() && placeholders_[last].end <= end; ++last) {
      const auto& p = placeholders_[last];
      if (p.space != Placeholder::Space::Inputs || !spec_.inputs.at(p.name).optional) continue;
      optional = true;
      missing = missing || !values_.at(p.name);
    }
    if (!optional) {
      out_ += spec_.command[begin - 1];
      return begin;
    }
    if (missing) {
      next_ = last;
      std::size_t resume = end + close_len;
      // Do not leave a doubled (or leading/trailing) space where the segment was.
      if ((out_.empty() || out_.back() == ' ') && resume < spec_.command.size() &&
          spec_.command[resume] == ' ') {
        ++resume;
      }
      if (resume >= spec_.command.size()) {
        while (!out_.empty() && out_.back() == ' ') out_.pop_back();
      }
      return resume;
    }
    for (std::size_t pos = begin; pos < end;) {
      if (next_ < placeholders_.size() && placeholders_[next_].begin == pos) {
        pos = substitute(placeholders_[next_++]);
      } else {
        out_ += spec_.command[pos++];
      }
    }
    return end + close_len;
  }

  const JobSpec& spec_;
  const std::function<std::string(const std::string&)>& output_dir_;
  std::string where_;
  std::vector<Placeholder> placeholders_;
  std::map<std::string, std::optional<std::string>> values_;
  std::size_t next_ = 0;  // the next placeholder to substitute
  std::string out_;
};

}  // namespace

std::string render_command(const JobSpec& spec,
                           const std::map<std::string, std::string>& input_values,
                           const std::function<std::string(const std::string&)>& output_dir) {
  return Renderer(spec, input_values, output_dir).render();
}

}  // namespace glia::platform

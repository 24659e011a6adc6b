// Reading which command a command line names (command_path.hpp).
#include "cli/command_path.hpp"

#include <vector>

namespace glia::cli {

namespace {

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
}

const CLI::App* find_command(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : commands_of(app))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

std::string names_of(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : commands_of(app)) out += (out.empty() ? "" : ", ") + sub->get_name();
  return out;
}

bool takes_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

// The option `word` names on `command` or a command above it (options fall through), if any.
const CLI::Option* option_named(const CLI::App& command, const std::string& word) {
  for (const CLI::App* a = &command; a; a = a->get_parent())
    if (const CLI::Option* o = a->get_option_no_throw(word)) return o;
  return nullptr;
}

}  // namespace

std::string command_path(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* a = command.get_parent(); a; a = a->get_parent())
    path = a->get_name() + " " + path;
  return path;
}

const CLI::App& deepest_parsed(const CLI::App& app) {
  const CLI::App* at = &app;
  for (;;) {
    std::vector<CLI::App*> parsed = at->get_subcommands();
    if (parsed.empty()) return *at;
    at = parsed.front();
  }
}

std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      if (word == "-h" || word == "--help" || word == "--help-all" || word == "--version")
        return std::nullopt;  // CLI11 prints the help of where it stands
      if (word.find('=') != std::string::npos) continue;  // --name=value
      const CLI::Option* o = option_named(*at, word);
      if (o && o->get_items_expected_min() > 0) ++i;  // its value
      continue;
    }
    if (commands_of(*at).empty()) return std::nullopt;  // a command's own arguments
    if (const CLI::App* sub = find_command(*at, word)) {
      at = sub;
      continue;
    }
    if (takes_positionals(*at)) return std::nullopt;
    return "unknown command '" + word + "' for '" + command_path(*at) +
           "' (expected one of: " + names_of(*at) + "; see '" + command_path(*at) + " --help')";
  }
  if (at->get_require_subcommand_min() > 0 && !commands_of(*at).empty())
    return "'" + command_path(*at) + "' needs a command: " + names_of(*at) + " (see '" +
           command_path(*at) + " --help')";
  return std::nullopt;
}

}  // namespace glia::cli

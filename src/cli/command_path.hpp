// Which command a command line names, read before CLI11 parses it: CLI11 reports a misspelled
// command ("glia job lsit") as "A subcommand is required", and a failed parse points at the
// root's help. These name the word it did not know and the command whose help to read.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace glia::cli {

/// "glia job list": the app's name and its parents'.
std::string command_path(const CLI::App& command);

/// The deepest command the parse reached (the app itself when none).
const CLI::App& deepest_parsed(const CLI::App& app);

/// The one-line error for a command line that names no known command where one is needed
/// ("glia workspace create": "unknown command 'create' for 'glia workspace' (expected one of:
/// init, connect, show)"; "glia workspace": "'glia workspace' needs a command: init, ...").
/// std::nullopt when the words before any --help name commands that exist. Options and their
/// values are stepped over (an option of the command or of one above it).
std::optional<std::string> unknown_command(const CLI::App& app, int argc, const char* const* argv);

}  // namespace glia::cli

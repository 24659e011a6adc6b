// Registration of the glia subcommands; one file per command group.
#pragma once

#include <CLI/CLI.hpp>

namespace glia::cli {

void register_info(CLI::App& app);
void register_data(CLI::App& app);

}  // namespace glia::cli

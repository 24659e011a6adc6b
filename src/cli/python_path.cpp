// glia python-path: where Glia's Python packages are (the glia client and the azureml shim),
// the folders the agent puts on jobs' PYTHONPATH — for a notebook or a script outside a job.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::cli {

void register_python_path(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "python-path", "Print the folders of Glia's Python packages, as PYTHONPATH wants them");
  cmd->footer(
      "Prints CLIENT:SHIM (absolute), the glia client and Glia's azureml.core shim that jobs "
      "get on their PYTHONPATH: PYTHONPATH=$(glia python-path) python3 lets a notebook or a "
      "script import glia and azureml.core. -o json: {\"paths\": [CLIENT, SHIM]}.");
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("-o,--output", *output, "output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([output] {
    const PythonDirs dirs = python_dirs();
    for (const auto& dir : {dirs.client, dirs.azureml_shim})
      if (!std::filesystem::is_directory(dir / (dir == dirs.client ? "glia" : "azureml")))
        throw Error(ErrorKind::NotFound,
                    "no Glia Python package in " + quote_bytes(dir.string()) +
                        " (the folders are made by the build, next to bin/glia, and installed "
                        "with it)");
    if (*output == "json") {
      const nlohmann::json j = {{"paths", {dirs.client.string(), dirs.azureml_shim.string()}}};
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("%s:%s\n", dirs.client.c_str(), dirs.azureml_shim.c_str());
  });
}

}  // namespace glia::cli

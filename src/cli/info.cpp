// glia info: what this build of Glia has (version, backends, threads).
#include <omp.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "glia/backend.hpp"
#include "glia/runtime.hpp"
#include "glia/version.hpp"

namespace glia::cli {

void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show the version, compute backends and thread count");
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("-o,--output", *output, "output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([output] {
    nlohmann::json j = {{"version", version()},
                        {"backends", backend_names()},
                        {"default_backend", "cpu"},
                        {"cores", omp_get_num_procs()},
                        {"threads", default_num_threads()}};
    if (*output == "json") {
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("glia %s\n", version());
    std::string names;
    for (auto& b : backend_names()) names += (names.empty() ? "" : ", ") + b;
    std::printf("backends: %s (default: cpu)\ncores: %d\nthreads: %d\n", names.c_str(),
                omp_get_num_procs(), default_num_threads());
  });
}

}  // namespace glia::cli

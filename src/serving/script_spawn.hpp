// Starting one Python scoring worker of a ScriptScorer (script_scorer.cpp): its environment and
// the process itself, with a socket on descriptor 3 (script_channel.hpp's framed messages).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "glia/serving/script_scorer.hpp"

namespace glia::serving {

struct Spawned {
  pid_t pid = 0;
  int fd = -1;  // our end of the socket, non-blocking
};

/// The workers' environment as KEY=VALUE strings: this process's, PYTHONUNBUFFERED=1, the
/// options' variables and those Azure ML's inference server sets (AZUREML_MODEL_DIR,
/// AZUREML_ENTRY_SCRIPT, AML_APP_ROOT) and Glia's model name and version. glia::Error for a bad
/// variable name or a variable the endpoint sets given another value.
std::vector<std::string> worker_environment(const ScriptOptions& opt);

/// Starts worker `index` (the interpreter with a bootstrap that imports glia._score_worker, or
/// says over the socket why it cannot) in the code folder, stdout/stderr to the log, with default
/// signal handling and an empty mask. glia::Error when the interpreter cannot be started.
Spawned spawn_worker(const ScriptOptions& opt, const std::vector<std::string>& env, int index);

}  // namespace glia::serving

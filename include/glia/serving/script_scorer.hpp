// Scoring with a Python script, the seed's way (Azure ML's score.py with init()/run(raw_data)):
// a pool of Python worker processes (`python -m glia._score_worker`, shipped with Glia's Python
// client), each of which imports the script and calls init() once, then runs run(raw_data) for
// one request at a time. The endpoint process hands each request body to a free worker and
// answers what run() returned, as Azure ML's inference server (azureml-inference-server-http
// 1.x) answers it (docs/endpoints.md, "Scoring with a Python script").
//
// Workers talk to this side over a dedicated socket each (descriptor 3 in the worker), with
// length-framed messages; their stdout and stderr (the script's print() output, tracebacks) go
// to `log_fd`, the endpoint's log, and never carry the protocol.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glia::serving {

struct ScriptOptions {
  std::string python;         // the interpreter (a venv's bin/python, or python3 from PATH)
  std::string script;         // the scoring script, absolute
  std::string code_dir;       // its folder: the workers' working directory, first on sys.path
  std::string model_dir;      // AZUREML_MODEL_DIR: the served model version's files
  std::string model_name;     // the served model (Model.get_model_path(name) resolves it)
  int64_t model_version = 0;  // the served version (Model.get_model_path(name, version)); 0: none
  /// More variables for the workers, over this process's own: PYTHONPATH holding Glia's Python
  /// client (`<prefix>/share/glia/python`, which has the worker module) and its azureml shim,
  /// thread counts. The scorer sets AZUREML_MODEL_DIR, AZUREML_ENTRY_SCRIPT, AML_APP_ROOT,
  /// GLIA_ENDPOINT_MODEL_NAME, GLIA_ENDPOINT_MODEL_VERSION and PYTHONUNBUFFERED=1 itself.
  std::map<std::string, std::string> env;
  int workers = 1;
  double init_timeout_s = 600;
  /// Where the workers' stdout and stderr go (the endpoint's log).
  int log_fd = 2;
  /// How long a worker that is told to stop may take before it is killed.
  double stop_grace_s = 5;
};

struct ScriptReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  /// More response headers: x-ms-run-fn-exec-ms (run()'s time), x-ms-run-function-failed on a
  /// failure of the script, those an AMLResponse sets.
  std::vector<std::pair<std::string, std::string>> headers;
};

class ScriptScorer {
 public:
  /// Starts `workers` Python processes, each importing the script and calling init(); returns
  /// once all have. glia::Error (InvalidArgument) with the script's own error (the last line of
  /// its traceback; the whole traceback is in the log) when one fails or does not finish within
  /// init_timeout_s, or when the options are not usable (no such script, interpreter, folder).
  static std::unique_ptr<ScriptScorer> start(const ScriptOptions& options);
  /// Stops the workers: their sockets closed and SIGTERM, SIGKILL after stop_grace_s (a restart
  /// in progress is cut short). No run() may be in flight: keep the scorer alive until every
  /// request using it has returned (a shared_ptr per request, say).
  ~ScriptScorer();
  ScriptScorer(const ScriptScorer&) = delete;
  ScriptScorer& operator=(const ScriptScorer&) = delete;

  /// run(raw_data) in a free worker (waiting for one at most `timeout_s`, which also bounds
  /// run() itself), the reply as Azure ML's inference server gives it: what run() returned as
  /// JSON (200, application/json; a str as a JSON string, None as {}) or the AMLResponse it
  /// returned. Failures carry Glia's error body {"error": {"kind", "message"}}: run() raising →
  /// 500 (the traceback in the log, not in the answer); a body that is not UTF-8 → 400; a worker
  /// that dies during the request → 503 and the worker restarted; no worker free in time → 503;
  /// run() still busy at the deadline → 504 and the worker killed and restarted. Thread-safe.
  /// `headers` are the request's headers, given to run() when it takes `request_headers`.
  ScriptReply run(std::string_view body, double timeout_s,
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

  /// How many workers are up and ready now (the others are being restarted).
  int ready_workers() const;
  /// The workers' process ids (0 for one being restarted), for tests and the log.
  std::vector<int> worker_pids() const;

  struct Impl;

 private:
  explicit ScriptScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace glia::serving

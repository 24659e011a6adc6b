// The seed's Python scoring as an endpoint's RawScorer (raw_scorer.hpp): a ScriptScorer per
// generation, its replies (status, type, headers: what the script or Azure's inference server
// would answer) passed through as they are.
#include "glia/error.hpp"
#include "glia/serving/raw_scorer.hpp"
#include "glia/serving/script_scorer.hpp"

namespace glia::serving {

namespace {

class PythonScorer final : public RawScorer {
 public:
  PythonScorer(std::unique_ptr<ScriptScorer> scorer, double timeout_s)
      : scorer_(std::move(scorer)), timeout_s_(timeout_s) {}

  http::Response run(const http::Request& request, std::string_view body) override {
    std::vector<std::pair<std::string, std::string>> headers(request.headers.begin(),
                                                             request.headers.end());
    ScriptReply reply = scorer_->run(body, timeout_s_, headers);
    http::Response r =
        http::Response::text(std::move(reply.body), reply.content_type, reply.status);
    for (const auto& [k, v] : reply.headers) r.set_header(k, v);
    return r;
  }

 private:
  std::unique_ptr<ScriptScorer> scorer_;
  double timeout_s_;
};

}  // namespace

ScriptLoader python_script_loader(int log_fd) {
  return [log_fd](const ServeOptions& o) -> std::shared_ptr<RawScorer> {
    ScriptOptions s;
    s.python = o.python.empty() ? "python3" : o.python;
    s.script = o.script;
    s.code_dir = o.code_dir;
    s.model_dir = o.model_dir;
    s.model_name = o.model_name;
    s.model_version = o.model_version;
    s.env = o.env;
    s.workers = static_cast<int>(o.instances);
    s.log_fd = log_fd;
    return std::make_shared<PythonScorer>(ScriptScorer::start(s),
                                          static_cast<double>(o.request_timeout_ms) / 1000.0);
  };
}

}  // namespace glia::serving

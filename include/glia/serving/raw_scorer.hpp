// Where scoring other than the engine's plugs in (the seed's Python score.py with init() and
// run(raw_data), served by worker processes): a RawScorer takes POST /score's request and raw
// body and returns the whole reply (a script may choose its status, type and headers). The
// endpoint hands it the body as received (after the key and size checks) and refuses
// /invocations and /v2 inference for it (they need the model).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "glia/http/message.hpp"
#include "glia/serving/serve_options.hpp"

namespace glia::serving {

class RawScorer {
 public:
  virtual ~RawScorer() = default;
  /// The reply; glia::Error for a refusal (its kind gives the status).
  virtual http::Response run(const http::Request& request, std::string_view body) = 0;
};

/// Makes the scorer of a generation whose options say scoring "python" (called when it is
/// loaded; throws glia::Error when it cannot start).
using ScriptLoader = std::function<std::shared_ptr<RawScorer>(const ServeOptions&)>;

/// The loader of the seed's way: the script's init()/run(raw_data) in `instances` Python
/// workers (ScriptScorer), their output on `log_fd`.
ScriptLoader python_script_loader(int log_fd = 2);

}  // namespace glia::serving

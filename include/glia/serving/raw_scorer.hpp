// Where scoring other than the engine's plugs in (the seed's Python score.py with init() and
// run(raw_data), served by worker processes): a RawScorer takes POST /score's raw body and
// returns the reply's JSON text. The endpoint hands it the body as received (after the key
// and size checks) and refuses /invocations and /v2 inference for it (they need the model).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "glia/serving/serve_options.hpp"

namespace glia::serving {

class RawScorer {
 public:
  virtual ~RawScorer() = default;
  /// The reply's JSON text; glia::Error for a refusal (its kind gives the status).
  virtual std::string run(std::string_view body) = 0;
};

/// Makes the scorer of a generation whose options say scoring "python" (called when it is
/// loaded; throws glia::Error when it cannot start). Set by whoever links the Python side.
using ScriptLoader = std::function<std::shared_ptr<RawScorer>(const ServeOptions&)>;

}  // namespace glia::serving

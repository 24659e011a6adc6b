// The endpoint process's HTTP surface over one served generation (docs/endpoints.md, "The
// endpoint process"): POST /score (the seed's format), POST /invocations (MLflow), KServe v2
// (infer, health, metadata), GET /metrics, MLflow's GET /ping and /health; bearer keys on
// every route but the health ones; the access log; reloads that apply keys and limits at once
// and swap in a new model loaded beside the served one.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "glia/http/router.hpp"
#include "glia/serving/access_log.hpp"
#include "glia/serving/bearer_keys.hpp"
#include "glia/serving/generation.hpp"
#include "glia/serving/metrics.hpp"
#include "glia/serving/raw_scorer.hpp"
#include "glia/serving/serve_options.hpp"

namespace glia::serving {

class Endpoint {
 public:
  /// Checks the options (glia::Error naming a bad one) and opens the access log; loads nothing
  /// yet (load()). `script_loader` starts Python scoring (unset: "python" is refused).
  explicit Endpoint(ServeOptions options, ScriptLoader script_loader = {});
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// Registers every route on `router`.
  void add_routes(http::Router& router);
  /// For http::ServerOptions::on_request: metrics and the access log.
  void on_request(const http::Request& request, int status, double seconds);

  /// Loads the first generation (throws glia::Error when it cannot: the model folder, the
  /// script). Until then the scoring routes answer 503 and /v2/health/ready is not ready.
  void load();

  /// What reload() reports as it goes: "loading" (a new model is being loaded beside the one
  /// served) and "ready" (applied).
  using Report = std::function<void(const std::string& state)>;
  /// Applies `next` (the config read again): keys, limits, batching and the access log at
  /// once; then, when the model, its scoring, instances or threads changed, loads the new
  /// generation beside the served one, swaps it in when ready and drops the old once its last
  /// request is answered. Throws glia::Error when `next` is not valid (nothing changes) or its
  /// model does not load (the old one goes on serving; the settings stay applied).
  void reload(const ServeOptions& next, const Report& report = {});

  bool ready() const;
  /// The generation whose model is served (0 before load()), and that model's version.
  int64_t served_generation() const;
  int64_t served_model_version() const;
  ServeOptions options() const;
  std::string metrics_text() const;

 private:
  struct Settings;
  http::Handler wrap(const std::string& route, bool keyed,
                     std::function<http::Response(http::Request&, const Settings&)> fn);
  std::shared_ptr<const Settings> settings() const { return settings_.load(); }
  std::shared_ptr<Generation> generation() const { return generation_.load(); }
  void apply_settings(const ServeOptions& options);
  std::shared_ptr<Generation> load_for(const ServeOptions& options);

  http::Response score(http::Request& r, const Settings& s);
  http::Response invocations(http::Request& r, const Settings& s);
  http::Response v2_infer(http::Request& r, const Settings& s);
  http::Response v2_model(http::Request& r, bool ready_only);

  ScriptLoader script_loader_;
  std::atomic<std::shared_ptr<const Settings>> settings_;
  std::atomic<std::shared_ptr<Generation>> generation_;
  std::atomic<int64_t> served_generation_{0};
  std::mutex reload_mu_;  // one load or reload at a time
  AccessLog access_log_;
  std::shared_ptr<EndpointMetrics> metrics_;
};

}  // namespace glia::serving

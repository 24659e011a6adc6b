// The endpoint's routes, keys, metrics and reloads (endpoint.hpp).
#include "glia/serving/endpoint.hpp"

#include <chrono>
#include <thread>

#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"
#include "glia/serving/mlflow_format.hpp"
#include "glia/serving/seed_format.hpp"
#include "glia/serving/v2_format.hpp"

namespace glia::serving {

using http::Request;
using http::Response;

struct Endpoint::Settings {
  ServeOptions options;
  BearerKeys keys;
};

namespace {

// What a request leaves for on_request: its route and the rows it scored.
struct Note {
  std::string route;
  int64_t rows = 0;
};

// A refusal with a status or headers of its own (401, 413, 429), thrown to the route's wrapper.
struct Refusal {
  Response response;
};

Response json_text(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The body, read up to the limit in force now (the routes stream their bodies so that a reload
// can change it): 413 from Content-Length before reading, or as the body grows.
std::string read_body(Request& r, int64_t limit) {
  const auto too_large = [&] {
    return Refusal{Response::error(413, ErrorKind::InvalidArgument,
                                   "request body is larger than the " + std::to_string(limit) +
                                       " bytes this endpoint accepts (max_body_bytes)")};
  };
  std::string body;
  if (const auto length = r.header("Content-Length")) {
    uint64_t n = 0;
    try {
      n = std::stoull(*length);
    } catch (const std::exception&) {
      n = 0;
    }
    if (n > static_cast<uint64_t>(limit)) throw too_large();
    body.reserve(n);
  }
  bool over = false;
  const bool ok = r.read_body([&](const char* data, size_t size) {
    if (body.size() + size > static_cast<size_t>(limit)) {
      over = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  if (over) throw too_large();
  if (!ok) throw Error("request body could not be read (the client stopped sending)");
  return body;
}

// A query parameter the route does not take is refused, never ignored.
void check_query(const Request& r, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : r.query) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok)
      throw Error("query parameter " + quote_bytes(key) + " is not taken by " + r.path +
                  (allowed.size() ? " (it takes probabilities)" : " (it takes none)"));
  }
}

// The bodies are JSON; MLflow's other format (CSV) is refused by name.
void check_json_type(const Request& r) {
  const auto type = r.header("Content-Type");
  if (type && type->rfind("text/csv", 0) == 0)
    throw Refusal{Response::error(415, ErrorKind::InvalidArgument,
                                  "Content-Type text/csv is not supported: send JSON "
                                  "(dataframe_split, dataframe_records, instances or inputs)")};
}

// An HTTP quoted-string (RFC 9110 5.6.4) of `text`: a line break or a quote in the endpoint's
// name (a config written by hand) would break the header, which the server then answers 500.
std::string quoted_string(const std::string& text) {
  std::string out = "\"";
  for (char c : escape_bytes(text)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::shared_ptr<Generation> require_ready(const std::shared_ptr<Generation>& g) {
  if (!g) throw Error(ErrorKind::Unavailable, "the endpoint is still loading its model; try again");
  return g;
}

void require_native(const Generation& g, const char* route) {
  if (!g.batcher)
    throw Error(ErrorKind::NotFound, std::string(route) +
                                         ": this endpoint scores with a Python script, which "
                                         "takes POST /score only");
}

void check_model(const Request& r, const Generation& g) {
  const std::string& m = r.param("m");
  if (m != g.signature.model_name)
    throw Error(ErrorKind::NotFound, "model " + quote_bytes(m) + ": this endpoint serves " +
                                         quote_bytes(g.signature.model_name));
  const auto v = r.params.find("v");
  if (v != r.params.end() && v->second != std::to_string(g.signature.model_version))
    throw Error(ErrorKind::NotFound,
                "model " + quote_bytes(m) + " version " + quote_bytes(v->second) +
                    ": this endpoint serves version " + std::to_string(g.signature.model_version));
}

}  // namespace

Endpoint::Endpoint(ServeOptions options, ScriptLoader script_loader)
    : script_loader_(std::move(script_loader)), metrics_(std::make_shared<EndpointMetrics>()) {
  check_serve_options(options);
  apply_settings(options);
}

Endpoint::~Endpoint() = default;

void Endpoint::apply_settings(const ServeOptions& options) {
  auto s = std::make_shared<Settings>();
  s->options = options;
  if (options.auth_mode == "key") s->keys = BearerKeys(options.key_sha256);
  access_log_.open(options.access_log);
  settings_.store(std::move(s));
  if (auto g = generation(); g && g->batcher) g->batcher->set_limits(batch_limits(options));
}

std::shared_ptr<Generation> Endpoint::load_for(const ServeOptions& options) {
  std::weak_ptr<EndpointMetrics> metrics = metrics_;
  return load_generation(options, script_loader_, [metrics](int64_t rows, double seconds) {
    if (auto m = metrics.lock()) m->observe_batch(rows, seconds);
  });
}

void Endpoint::load() {
  std::lock_guard lock(reload_mu_);
  const ServeOptions o = settings()->options;
  generation_.store(load_for(o));
  served_generation_ = o.generation;
}

void Endpoint::reload(const ServeOptions& next, const Report& report) {
  std::lock_guard lock(reload_mu_);
  try {
    check_serve_options(next);
    const std::shared_ptr<Generation> old = generation();
    apply_settings(next);
    if (old && needs_new_model(old->options, next)) {
      if (report) report("loading");
      generation_.store(load_for(next));
      served_generation_ = next.generation;
      if (report) report("ready");
      // Drained: the requests that hold the old generation are answered, then it is dropped
      // (its instances' threads stop).
      std::weak_ptr<Generation> gone = old;
      const auto since = std::chrono::steady_clock::now();
      while (gone.use_count() > 1 &&
             std::chrono::steady_clock::now() - since <
                 std::chrono::milliseconds(old->options.request_timeout_ms + 60000))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } else {
      if (old) served_generation_ = next.generation;
      if (report) report("ready");
    }
  } catch (...) {
    metrics_->count_reload(false);
    throw;
  }
  metrics_->count_reload(true);
}

bool Endpoint::ready() const {
  return generation() != nullptr;
}

int64_t Endpoint::served_generation() const {
  return served_generation_;
}

int64_t Endpoint::served_model_version() const {
  const auto g = generation();
  return g ? g->options.model_version : 0;
}

ServeOptions Endpoint::options() const {
  return settings()->options;
}

std::string Endpoint::metrics_text() const {
  const auto g = generation();
  const auto s = settings();
  Gauges gauges;
  gauges.endpoint = s->options.name;
  gauges.generation = served_generation_;
  if (g) {
    gauges.model_name = g->options.model_name;
    gauges.model_version = g->options.model_version;
    gauges.instances = g->options.instances;
    gauges.queue_rows = g->batcher ? g->batcher->queued_rows() : 0;
    gauges.ready = true;
  }
  return metrics_->text(gauges);
}

http::Handler Endpoint::wrap(const std::string& route, bool keyed,
                             std::function<Response(Request&, const Settings&)> fn) {
  return [this, route, keyed, fn = std::move(fn)](Request& r) -> Response {
    r.context = Note{route, 0};
    const auto s = settings();
    try {
      if (keyed && s->options.auth_mode == "key") {
        const auto auth = r.header("Authorization");
        if (!auth || !s->keys.accepts(*auth)) {
          Response res =
              Response::error(ErrorKind::Unauthenticated,
                              auth ? "the key is not valid for this endpoint"
                                   : "this endpoint needs a key: send Authorization: Bearer KEY");
          res.set_header("WWW-Authenticate", "Bearer realm=" + quoted_string(s->options.name));
          return res;
        }
      }
      return fn(r, *s);
    } catch (Refusal& refusal) {
      return std::move(refusal.response);
    }
  };
}

void Endpoint::add_routes(http::Router& router) {
  const http::RouteOptions body{.max_body = static_cast<uint64_t>(kMaxBodyCeiling),
                                .stream_body = true};
  router.add("POST", "/score",
             wrap("/score", true, [this](Request& r, const Settings& s) { return score(r, s); }),
             body);
  router.add("POST", "/invocations",
             wrap("/invocations", true,
                  [this](Request& r, const Settings& s) { return invocations(r, s); }),
             body);
  for (const std::string p : {"/v2/models/{m}/infer", "/v2/models/{m}/versions/{v}/infer"})
    router.add("POST", p,
               wrap(p, true, [this](Request& r, const Settings& s) { return v2_infer(r, s); }),
               body);
  for (const std::string p : {"/v2/models/{m}", "/v2/models/{m}/versions/{v}"})
    router.add("GET", p,
               wrap(p, true, [this](Request& r, const Settings&) { return v2_model(r, false); }));
  for (const std::string p : {"/v2/models/{m}/ready", "/v2/models/{m}/versions/{v}/ready"})
    router.add("GET", p,
               wrap(p, false, [this](Request& r, const Settings&) { return v2_model(r, true); }));
  router.add("GET", "/v2", wrap("/v2", true, [](Request&, const Settings&) {
               return json_text(v2_server_metadata());
             }));
  router.add("GET", "/v2/health/live",
             wrap("/v2/health/live", false,
                  [](Request&, const Settings&) { return json_text("{\"live\":true}"); }));
  const auto ready = [this](Request&, const Settings&) {
    if (!this->ready()) return json_text("{\"ready\":false}", 503);
    return json_text("{\"ready\":true}");
  };
  router.add("GET", "/v2/health/ready", wrap("/v2/health/ready", false, ready));
  // MLflow's scoring server's health routes.
  router.add("GET", "/ping", wrap("/ping", false, ready));
  router.add("GET", "/health", wrap("/health", false, ready));
  router.add("GET", "/metrics", wrap("/metrics", true, [this](Request&, const Settings&) {
               return Response::text(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
             }));
}

namespace {

// Scores rows through the generation's batcher into `out`; the queue time goes to the metrics.
void run_rows(const Generation& g, const Rows& rows, std::vector<float>& out,
              EndpointMetrics& metrics) {
  out.resize(static_cast<size_t>(rows.count * g.signature.row_out()));
  try {
    const Batcher::Scored s = g.batcher->score(rows.values.data(), rows.count, out.data());
    metrics.observe_queue(s.queue_seconds);
  } catch (const QueueFull& e) {
    Response res = Response::error(429, ErrorKind::Unavailable, e.what());
    res.set_header("Retry-After", "1");
    throw Refusal{std::move(res)};
  }
}

void note_rows(Request& r, int64_t rows) {
  if (auto* note = std::any_cast<Note>(&r.context)) note->rows = rows;
}

}  // namespace

Response Endpoint::score(Request& r, const Settings& s) {
  check_query(r, {"probabilities"});
  const std::string body = read_body(r, s.options.max_body_bytes);
  const auto g = require_ready(generation());
  if (g->script) return g->script->run(r, body);
  bool probabilities = false;
  if (const auto q = r.query_value("probabilities")) {
    if (*q == "true" || *q == "1")
      probabilities = true;
    else if (*q != "false" && *q != "0")
      throw Error("probabilities " + quote_bytes(*q) + ": expected true or false");
  }
  SeedRequest req = parse_seed_request(body, g->signature, s.options.max_rows);
  note_rows(r, req.rows.count);
  std::vector<float> out;
  run_rows(*g, req.rows, out, *metrics_);
  return json_text(
      seed_reply(out.data(), req.rows.count, g->signature, probabilities || req.probabilities));
}

Response Endpoint::invocations(Request& r, const Settings& s) {
  check_query(r, {});
  check_json_type(r);
  const std::string body = read_body(r, s.options.max_body_bytes);
  const auto g = require_ready(generation());
  require_native(*g, "/invocations");
  const Rows rows = parse_invocations(body, g->signature, s.options.max_rows);
  note_rows(r, rows.count);
  std::vector<float> out;
  run_rows(*g, rows, out, *metrics_);
  return json_text(invocations_reply(out.data(), rows.count, g->signature));
}

Response Endpoint::v2_infer(Request& r, const Settings& s) {
  check_query(r, {});
  const std::string body = read_body(r, s.options.max_body_bytes);
  const auto g = require_ready(generation());
  require_native(*g, "/v2 inference");
  check_model(r, *g);
  const V2Request req = parse_v2_request(body, g->signature, s.options.max_rows);
  note_rows(r, req.rows.count);
  std::vector<float> out;
  run_rows(*g, req.rows, out, *metrics_);
  return json_text(v2_reply(req, out.data(), g->signature));
}

Response Endpoint::v2_model(Request& r, bool ready_only) {
  const auto g = generation();
  if (!g) {
    if (ready_only) return json_text("{\"ready\":false}", 503);
    require_ready(g);
  }
  check_model(r, *g);
  if (ready_only) return json_text("{\"ready\":true}");
  require_native(*g, "/v2 model metadata");
  return json_text(v2_model_metadata(g->signature));
}

void Endpoint::on_request(const Request& request, int status, double seconds) {
  const auto* note = std::any_cast<Note>(&request.context);
  const std::string route = note ? note->route : "other";
  const int64_t rows = note ? note->rows : 0;
  metrics_->count_request(route, status, seconds);
  access_log_.write(request.method, request.path, status, seconds, rows);
}

}  // namespace glia::serving

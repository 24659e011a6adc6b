// A run's live events for the web view: GET /api/v1/workspaces/{ws}/runs/{id}/events, a
// Server-Sent Events stream (docs/webview.md "Live events"): `hello` once set up (no point logged
// after it is missed), `run` (the GET /runs/{id} JSON) first and on every status change,
// `metrics` (the points logged since the last event, polled every 0.5 s), `log` (the last
// log_tail bytes, then the bytes as they are written), `end` once the run has ended and all of
// it was sent; a `: keep-alive` comment every 15 s. The stream holds one server worker: it sleeps
// between polls, ends when the client goes (a failed write, at the latest the next keep-alive)
// and when the server stops.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>

#include "glia/error.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/log_follow.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

constexpr double kPollSeconds = 0.5;
constexpr auto kKeepAlive = std::chrono::seconds(15);
// How often the request's token is checked again: a revoke (or a user disabled, a role lowered)
// ends the stream, as it would refuse the next request.
constexpr auto kReauthorize = std::chrono::seconds(5);
constexpr int64_t kDefaultLogTail = 65536;
constexpr int64_t kMaxLogTail = int64_t{16} << 20;

// The length of `bytes` without an incomplete UTF-8 sequence at its end (kept for the next
// chunk, so a character split between two reads is sent whole).
size_t complete_utf8(std::string_view bytes) {
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

class EventStream {
 public:
  EventStream(ServerContext& context, ServedWorkspace& served, Credential token, std::string id,
              int64_t log_tail, http::BodySink& sink)
      : context_(context),
        served_(served),
        ws_(served.workspace),
        token_(std::move(token)),
        id_(std::move(id)),
        log_tail_(log_tail),
        sink_(sink) {}

  bool run() {
    // Set up: the points already stored are the page's to load; every later one is pushed.
    platform::Store& store = ws_.store();
    for (const auto& [name, point] : store.latest_metrics(id_)) {
      latest_[name] = point;
      store.metric_series_from(id_, name, SIZE_MAX, sent_[name]);  // only its length
    }
    last_write_ = last_authorized_ = std::chrono::steady_clock::now();
    if (!send("hello", nlohmann::json::object())) return false;
    platform::FollowOptions options;
    options.poll_seconds = kPollSeconds;
    options.stop = &stop_;
    options.on_status = [this](const platform::RunRecord&) {
      send("run", platform::run_show_json(ws_, id_));
    };
    options.on_poll = [this] { poll(); };
    const platform::RunRecord last = platform::follow_log(
        ws_, id_, [this](std::string_view b) { log_bytes(b); }, options);
    if (stop_) return !gone_;
    poll(true);  // the run has ended: its last points and log bytes
    if (stop_) return !gone_;
    flush_log(true);
    if (!stop_ && send("end", {{"status", platform::to_string(last.status)}})) return true;
    return !gone_;
  }

 private:
  bool write(const std::string& text) {
    if (gone_) return false;
    if (!sink_.write(text)) {
      gone_ = true;
      stop_ = true;
      return false;
    }
    last_write_ = std::chrono::steady_clock::now();
    return true;
  }

  bool send(const char* event, const nlohmann::json& data) {
    return write(std::string("event: ") + event + "\ndata: " +
                 data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n");
  }

  // Log bytes: until the first poll they are the log so far, of which the last log_tail are
  // kept; then they go out as they come.
  void log_bytes(std::string_view bytes) {
    if (log_tail_ == 0 || bytes.empty()) return;
    pending_.append(bytes);
    if (!tail_sent_) {
      if (pending_.size() > static_cast<size_t>(log_tail_))
        pending_.erase(0, pending_.size() - static_cast<size_t>(log_tail_));
      return;
    }
    flush_log(false);
  }

  void flush_log(bool all) {
    const size_t n = all ? pending_.size() : complete_utf8(pending_);
    if (n == 0) return;
    send("log", {{"text", pending_.substr(0, n)}});
    pending_.erase(0, n);
  }

  // `final`: the run has ended, every series is read (a point logged again exactly as the
  // latest leaves the latest as it was; while the run goes on it goes out with the next point).
  void poll(bool final = false) {
    if (!still_authorized()) return;
    if (!tail_sent_) {
      tail_sent_ = true;
      flush_log(false);
    }
    platform::Store& store = ws_.store();
    nlohmann::json points = nlohmann::json::object();
    for (const auto& [name, point] : store.latest_metrics(id_)) {
      const auto seen = latest_.find(name);
      if (!final && seen != latest_.end() && seen->second.step == point.step &&
          seen->second.wall_time == point.wall_time &&
          (seen->second.value == point.value ||
           (std::isnan(seen->second.value) && std::isnan(point.value))))
        continue;
      latest_[name] = point;
      size_t& sent = sent_[name];
      nlohmann::json list = nlohmann::json::array();
      const size_t from = sent;
      for (const auto& p : store.metric_series_from(id_, name, from, sent))
        list.push_back(platform::metric_point_json(p));
      if (!list.empty()) points[name] = std::move(list);
    }
    if (!points.empty()) send("metrics", {{"points", std::move(points)}});
    if (std::chrono::steady_clock::now() - last_write_ >= kKeepAlive) write(": keep-alive\n\n");
    if (sink_.stopping()) stop_ = true;
  }

  // False (and the stream stopped, nothing more sent) once the token no longer opens the run.
  bool still_authorized() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_authorized_ < kReauthorize) return true;
    try {
      platform::require_role(context_.authenticate(served_, token_), Role::Reader, "read runs");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Unauthenticated && e.kind() != ErrorKind::Permission) throw;
      stop_ = true;
      return false;
    }
    last_authorized_ = now;
    return true;
  }

  ServerContext& context_;
  ServedWorkspace& served_;
  platform::Workspace& ws_;
  Credential token_;  // a bearer token or a web session, checked again as the stream runs
  std::string id_;
  int64_t log_tail_;
  http::BodySink& sink_;
  std::atomic<bool> stop_{false};
  bool gone_ = false;
  bool tail_sent_ = false;
  std::string pending_;
  std::map<std::string, platform::MetricPoint> latest_;
  std::map<std::string, size_t> sent_;
  std::chrono::steady_clock::time_point last_write_, last_authorized_;
};

http::Response events(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Reader, "read runs");
  const Credential token = context.request_credential(r).value_or(Credential{});  // checked again
  allow_only(r, {"log_tail"});
  const int64_t log_tail = query_int(r, "log_tail", 0, kMaxLogTail).value_or(kDefaultLogTail);
  const std::string id = r.param("id");
  s.ws().store().get_run(id);  // an unknown run is a 404, before the stream starts
  ServedWorkspace* served = &s.served;
  ServerContext* ctx = &context;
  http::Response response;
  response.content_type = "text/event-stream";
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");  // a proxy in front must not hold events back
  response.stream = [ctx, served, token, id, log_tail](http::BodySink& sink) {
    EventStream stream(*ctx, *served, token, id, log_tail, sink);
    return stream.run();
  };
  return response;
}

}  // namespace

void register_event_routes(http::Router& router, ServerContext& context) {
  router.add("GET", std::string(kWorkspacePrefix) + "/runs/{id}/events",
             [&context](http::Request& r) { return events(context, r); });
}

}  // namespace glia::server::api

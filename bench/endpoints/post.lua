-- POSTs one JSON body (the file BODY) to the URL wrk is given, for bench/endpoints.sh.
-- Without RATE: a closed loop (every connection sends its next request when the last one is
-- answered): throughput at a connection count, or a single connection's latency.
-- With RATE (requests/s): paced like bench/server/paced_get.lua (wrk 4.1.0 has no rate
-- option): every response asks delay() for the wait before that connection's next request, and
-- the waits hand out one shared schedule of send slots 1000/RATE ms apart (a slot already passed
-- is sent at once), so the thread sends RATE requests/s whatever the latency, as long as the
-- connections cover it. wrk times each request from its write to its response (the wait is not
-- counted; a server that falls behind shows as a rate below RATE, not as queueing delay).
-- Environment: BODY (file, required), RATE, TOKEN (sent as Authorization: Bearer).
-- done() prints one JSON line; a response that is not 2xx counts in non_2xx.
local body_file = os.getenv("BODY") or error("post.lua: BODY (the request's JSON file) is not set")
local f = io.open(body_file, "rb") or error("post.lua: cannot open BODY file " .. body_file)
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local rate = tonumber(os.getenv("RATE") or "")
if rate and rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec* ts);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_slot = nil
  -- Defined only when pacing: wrk calls delay() before every request when the script has one.
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + interval
    return math.floor(wait + 0.5)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rate": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end

-- wrk script for bench/clicks.py: a realistic click, and an exact count of requests sent.
-- `delay_ms` (set by the driver through the environment) turns each connection into a fixed
-- think-time loop, which is how the fixed ~1,000 req/s phase is paced (Debian has no wrk2).
local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
  "wrk_report.lua")
local threads = {}
local ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 " ..
           "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local path = os.getenv("BENCH_PATH")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  req = wrk.format("GET", path, {["User-Agent"] = ua, ["Referer"] = "https://pub.example/page"})
end

function request()
  sent = sent + 1
  return req
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  report.done(threads, summary, latency)
end

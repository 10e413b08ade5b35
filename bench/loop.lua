-- wrk script for bench/loop.py: varied clicks over many links, and an exact count of requests sent.
-- Each request picks a link, a client address (sent as X-Real-IP, which the server believes from
-- loopback: CLICK_IP_HEADER and TRUSTED_PROXIES), a user agent, a sub1 and a source at random.
-- `BENCH_DELAY_MS` turns each connection into a fixed think-time loop (Debian ships no wrk2): the
-- driver sets the connections and the delay for the rate it wants.
local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
  "wrk_report.lua")
local threads = {}
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
}
local sources = {"fb", "google", "tiktok", "native", "email"}
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local prefix = os.getenv("BENCH_PREFIX") or ""
local codes = {}
for code in string.gmatch(os.getenv("BENCH_CODES") or "", "[^,]+") do
  table.insert(codes, code)
end
local thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  math.randomseed(os.time() * 1000 + seed)
end

local function public_ip()
  local first = math.random(1, 223)
  if first == 10 or first == 127 or first == 172 or first == 192 or first == 100 then
    first = 81  -- keep out of private, shared and loopback space
  end
  return string.format("%d.%d.%d.%d", first, math.random(0, 255), math.random(0, 255),
    math.random(1, 254))
end

function request()
  sent = sent + 1
  local path = string.format("%s/c/%s?sub1=s%d&sub2=p%d&source=%s", prefix,
    codes[math.random(#codes)], math.random(1000), math.random(20),
    sources[math.random(#sources)])
  return wrk.format("GET", path, {
    ["User-Agent"] = agents[math.random(#agents)],
    ["Referer"] = "https://pub.example/page",
    ["X-Real-IP"] = public_ip(),
  })
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  report.done(threads, summary, latency)
end

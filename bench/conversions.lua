-- wrk script for bench/conversions.py: each request is a distinct S2S callback for a seeded
-- click (ids read from BENCH_IDS, split between connections), with its own advertiser txn id.
local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
  "wrk_report.lua")
local ids = {}
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH") or "/postback"
for line in io.lines(os.getenv("BENCH_IDS")) do
  ids[#ids + 1] = line
end
local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  -- Each of the (2) wrk threads walks its own half of the ids.
  half = math.floor(#ids / 2)
end

function request()
  local n = offset * half + sent
  sent = sent + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("GET", path .. "?click_id=" .. id .. "&txn_id=T" .. n ..
    "&amount=19.99&token=" .. token)
end

function done(summary, latency, requests)
  report.done(threads, summary, latency)
end

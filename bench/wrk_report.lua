-- Shared by bench/'s wrk scripts (dofile'd): the run's summary and the requests every thread
-- sent (each script counts its own `sent`), as BENCH key=value lines that the Python drivers
-- read (bench/clicks.py, wrk_run).
local report = {}

function report.done(threads, summary, latency)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("sent")
  end
  io.write(string.format("BENCH sent=%d completed=%d errors=%d non2xx3xx=%d duration_us=%d\n",
    total, summary.requests, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status, summary.duration))
  io.write(string.format("BENCH p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

return report

-- wrk script for the chat route: POST the same small body on every request (keep-alive), and print one
-- machine-readable line at the end. Body and key come from the environment so the direct and via-Chorus legs
-- send identical bytes:  BENCH_BODY='{"model":...}'  CHORUS_MASTER_KEY=...
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"model":"bench-d0","messages":[{"role":"user","content":"Say hello."}]}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("CHORUS_MASTER_KEY")
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,' ..
    '"lat_p999_us":%d,"lat_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end

-- wrk script for bench/autosave.py: PUT an answer to a rotating list of
-- (path, token) targets read from $WRK_TARGETS, with an increasing seq so that every
-- request takes the real write path. Run with one thread so seq only grows.
local targets = {}
for line in io.lines(os.getenv("WRK_TARGETS")) do
  local path, token = line:match("^(%S+) (%S+)$")
  targets[#targets + 1] = { path, "Bearer " .. token }
end
local index, seq = 0, tonumber(os.getenv("WRK_SEQ_BASE") or "0")

request = function()
  index = index % #targets + 1
  seq = seq + 1
  local target = targets[index]
  return wrk.format("PUT", target[1],
    { ["Authorization"] = target[2], ["Content-Type"] = "application/json" },
    '{"choices":["a"],"seq":' .. seq .. '}')
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.2f,"p99_ms":%.2f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

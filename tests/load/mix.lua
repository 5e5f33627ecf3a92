-- A GET/PUT mix over a fixed set of keys, for wrk (`cargo xtask load` runs it).
--
--   wrk -t2 -c32 -d30s -s tests/load/mix.lua http://127.0.0.1:PORT -- PUT_PERCENT KEYS VALUE_BYTES
--
-- PUT_PERCENT of the requests store VALUE_BYTES bytes under one of KEYS keys
-- (/blobs/load/0 … /blobs/load/KEYS-1), the rest read one; keys are picked
-- uniformly at random. The keys must exist before a GET-heavy run, or its
-- GETs answer 404 and count as errors: `cargo xtask load` stores them first.
--
-- At the end one machine-readable line is printed, which the xtask parses:
--   RESULT requests=… duration_us=… p50_us=… p99_us=… max_us=… connect=… read=… write=… timeout=… non2xx=…
-- (wrk counts every answer with a status of 400 or more in non2xx.)

local threads = {}
local counter = 0

-- Runs once per thread, in the main Lua state: gives each thread a number
-- so that the threads draw different random keys.
function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local put_percent, keys, value

function init(args)
  put_percent = tonumber(args[1]) or 10
  keys = tonumber(args[2]) or 1000
  value = string.rep("v", tonumber(args[3]) or 256)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
  local path = "/blobs/load/" .. math.random(0, keys - 1)
  if math.random(1, 100) <= put_percent then
    return wrk.format("PUT", path, nil, value)
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d timeout=%d non2xx=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end

-- wrk script: POST GraphQL request bodies and report the run as one JSON line.
--
-- Usage: wrk -s graphql.lua URL -- BODIES_FILE ["Name: value" ...]
-- BODIES_FILE holds one JSON request body per line; requests cycle through them, each
-- thread from its own starting point. Further arguments are extra request headers. A response that is not 200 or that carries a
-- GraphQL "errors" member counts as bad, so a failing server never looks fast.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local bodies = {}
local next_body = 0
bad = 0 -- global, so done() can read it from each thread

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(bodies, line)
    end
  end
  assert(#bodies > 0, "no request bodies in " .. args[1])
  next_body = math.random(#bodies) - 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  for i = 2, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "bad": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "latency_us": {"mean": %.1f, "p50": %d, ' ..
    '"p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, total_bad,
    e.connect + e.read + e.write, e.timeout, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

-- wrk script for bench/ingest.py: POST the onboarding webhook with a unique X-Request-Id.
-- Usage: wrk -s bench/webhook.lua URL -- RUN_TAG
-- Every request gets "<RUN_TAG>-<thread>-<n>" so the bridge deduplicates none of them
-- (its dedupKey is header.X-Request-Id.0). Each thread counts the 202s it saw; done() prints
-- one JSON line starting with "WRK_RESULT " that bench/ingest.py parses.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local body = '{"employee":{"email":"ada.lovelace@example.org","name":"Ada Lovelace",'
  .. '"department":"Analytical Engines","manager":"charles.babbage@example.org",'
  .. '"startDate":"2026-12-07","location":"London","costCenter":"CC-1815",'
  .. '"equipment":["laptop","badge","monitor"],"notes":"Prefers notes on Bernoulli numbers; '
  .. 'needs access to the difference engine lab and the shared compute cluster."},'
  .. '"source":"hr-portal","eventType":"employee.hired","version":3}'

local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer hook-token",
  ["User-Agent"] = "trigger-bridge-bench",
}

local prefix = "run"
counter = 0
accepted = 0
other = 0

function init(args)
  prefix = (args[1] or "run") .. "-" .. tostring(tid)
end

function request()
  counter = counter + 1
  headers["X-Request-Id"] = prefix .. "-" .. counter
  return wrk.format("POST", "/hooks/onboarding", headers, body)
end

function response(status, hdrs, resp)
  if status == 202 then
    accepted = accepted + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local acc, oth, iss = 0, 0, 0
  for _, t in ipairs(threads) do
    acc = acc + t:get("accepted")
    oth = oth + t:get("other")
    iss = iss + t:get("counter")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"issued":%d,"duration_us":%d,"accepted":%d,"other":%d,'
      .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,'
      .. '"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, iss, summary.duration, acc, oth, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end

-- wrk script of `scripts/bench memory`: rotates three requests on every connection of a thread,
--   GET /healthz,
--   GET /v1/entities/<mediaType>/<id> with Authorization: Bearer <key>,
--   GET /v1/images/<image id>,
-- and stops the thread after it has sent LIMIT requests, so that a run is bounded by a count.
-- usage: wrk -s memory-mix.lua ... URL -- LIMIT ENTITY_PATH IMAGE_PATH KEY MARKER_DIR
-- A stopped thread creates MARKER_DIR/done-<thread number>: wrk's main thread still sleeps out its whole
-- -d, so the caller sends wrk SIGINT once every thread has its marker (wrk then reports at once).
-- done() prints one line: "BENCH requests=N status_errors=N socket_errors=N".

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

local requests = {}
local limit = 0
local sent = 0
local next_index = 1
local marker = nil

function init(args)
  limit = tonumber(args[1])
  requests[1] = wrk.format("GET", "/healthz", {})
  requests[2] = wrk.format("GET", args[2], { ["Authorization"] = "Bearer " .. args[4] })
  requests[3] = wrk.format("GET", args[3], {})
  marker = args[5] .. "/done-" .. tostring(thread_number)
end

function request()
  sent = sent + 1
  if sent == limit + 1 then
    local file = io.open(marker, "w")
    if file then file:close() end
    wrk.thread:stop()
  end
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, all)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d status_errors=%d socket_errors=%d\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end

-- wrk script: replay presigned S3 requests read from a file.
--
-- wrk -t<T> -c<C> -d<D>s -s presigned.lua <url> -- \
--     <paths_file> <host_header> <threads> <method> <body_mode> <partition> <size>
--
-- paths_file : one request target (path?query) per line, optionally followed
--              by a TAB and one extra "Header: value" that was signed with it
--              (CopyObject's x-amz-copy-source).
-- host_header: the Host value the URLs were signed for ("127.0.0.1:<port>");
--              set explicitly because wrk's default Host omits the port.
-- body_mode  : none | empty (Content-Length: 0) | seeded (<size> bytes derived
--              from the object path, so the bench can verify what landed where)
-- partition  : shared (every thread cycles all lines, staggered) |
--              own    (thread i takes lines i, i+T, ...: no two threads write one key)
--
-- Requests are built once in init(): building them per request would make wrk,
-- which shares the CPU with the server, the bottleneck. No response() is
-- defined, so wrk skips handing headers/bodies to Lua; status errors come from
-- wrk's own counters (summary.errors.status counts statuses > 399).

local next_id = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Must match seededBody() in bench/lib/workload.ts.
local function seeded_body(seed, size)
  local unit = seed .. "|"
  return string.rep(unit, math.ceil(size / #unit)):sub(1, size)
end

function init(args)
  local file, host, nthreads, method = args[1], args[2], tonumber(args[3]), args[4]
  local body_mode, partition, size = args[5], args[6], tonumber(args[7])
  reqs = {}
  local idx = 0
  for line in io.lines(file) do
    if partition == "shared" or idx % nthreads == thread_id then
      local target, extra = line:match("^([^\t]+)\t?(.*)$")
      local headers = { Host = host }
      if extra ~= "" then
        local name, value = extra:match("^([^:]+):%s*(.*)$")
        headers[name] = value
      end
      local body = nil
      if body_mode == "seeded" then body = seeded_body(target:match("^[^?]*"), size) end
      if body_mode == "empty" then body = "" end
      reqs[#reqs + 1] = wrk.format(method, target, headers, body)
    end
    idx = idx + 1
  end
  if #reqs == 0 then error("thread " .. thread_id .. " got no requests from " .. file) end
  -- Stagger shared lists so threads do not walk the same keys in lockstep.
  cursor = 0
  sent = 0
  if partition == "shared" then cursor = (thread_id * math.floor(#reqs / nthreads)) % #reqs end
end

function request()
  cursor = cursor % #reqs + 1
  sent = sent + 1
  return reqs[cursor]
end

-- Machine-readable lines for the driver; latency values are microseconds.
-- BENCH_THREADS tells the driver how far each thread got through its list, so
-- it can tell keys whose last write completed from keys that were in flight
-- when wrk stopped (and dropped the connection mid-request).
function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    parts[#parts + 1] = string.format("{\"id\":%d,\"sent\":%d}", t:get("thread_id"), t:get("sent"))
  end
  io.write("BENCH_THREADS [" .. table.concat(parts, ",") .. "]\n")
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d,\"status\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end

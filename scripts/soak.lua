-- wrk script for scripts/soak.sh (issue 8): a mixed PDS FHIR load on the bridge — reads,
-- searches, verifies and requests that end in errors — counting every answer by class:
-- HTTP status, Spine code and the origin code (the OperationOutcome's second coding: the SMSP
-- response code, ITK code or transport failure behind the answer).
--
-- Mix (weights out of 100): read 40, search 25, verify 20, not found 5, bad request 5,
-- ITK 2200 fault 5. Patients are the simulator's built-in data set and magic numbers
-- (docs/SIMULATOR.md).

local base = os.getenv("SOAK_BASE_PATH") or "/personal-demographics/FHIR/R4"

local kinds = {
  { weight = 40, name = "read",
    path = base .. "/Patient/9990001006",
    headers = { ["X-SMSP-Birth-Date"] = "1980-01-15" } },
  { weight = 25, name = "search",
    path = base .. "/Patient?family=FAIRWEATHER&birthdate=1980-01-15&gender=male" },
  { weight = 20, name = "verify",
    path = base .. "/Patient/$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-15" },
  { weight = 5, name = "not-found",
    path = base .. "/Patient/9990000077",
    headers = { ["X-SMSP-Birth-Date"] = "1980-01-15" } },
  { weight = 5, name = "bad-request",
    path = base .. "/Patient/1234567890",
    headers = { ["X-SMSP-Birth-Date"] = "1980-01-15" } },
  { weight = 5, name = "itk-2200",
    path = base .. "/Patient/9990000174",
    headers = { ["X-SMSP-Birth-Date"] = "1980-01-15" } },
}

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function uuid()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (t:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function init(args)
  counts = {}
  sent = {}
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local r = math.random(1, 100)
  local acc = 0
  for _, k in ipairs(kinds) do
    acc = acc + k.weight
    if r <= acc then
      sent[k.name] = (sent[k.name] or 0) + 1
      local headers = { ["X-Request-ID"] = uuid(), ["Accept"] = "application/fhir+json" }
      for h, v in pairs(k.headers or {}) do headers[h] = v end
      return wrk.format("GET", k.path, headers)
    end
  end
end

function response(status, headers, body)
  local key = tostring(status)
  if status ~= 200 or (body and body:find('"OperationOutcome"', 1, true)) then
    -- "code" values in order: issue.code, Spine code, origin code.
    local codes = {}
    for c in (body or ""):gmatch('"code":"([^"]*)"') do
      table.insert(codes, c)
      if #codes == 3 then break end
    end
    key = key .. " " .. (codes[2] or "-") .. " / " .. (codes[3] or "-")
  end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total, by_kind = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do total[k] = (total[k] or 0) + v end
    for k, v in pairs(t:get("sent")) do by_kind[k] = (by_kind[k] or 0) + v end
  end
  io.write("\nrequests sent by kind:\n")
  local kinds_sorted = {}
  for k in pairs(by_kind) do table.insert(kinds_sorted, k) end
  table.sort(kinds_sorted)
  for _, k in ipairs(kinds_sorted) do io.write(string.format("  %-12s %8d\n", k, by_kind[k])) end
  io.write("answers by class (status spine / origin):\n")
  local keys = {}
  for k in pairs(total) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do io.write(string.format("  %-52s %8d\n", k, total[k])) end
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

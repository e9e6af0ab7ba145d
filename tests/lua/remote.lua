-- LuaJIT: the remote model and the router through parley.open. Without a model: bad
-- remote/router options are Lua errors (wrong types) or nil, message (values out of
-- range), never a crash. With SmolLM2: a remote that refuses connections (a loopback
-- port bound, read and closed here) and an NPC whose policy is remote; the turn goes
-- route remote → error (network/remote) → route local "fallback" → text → done, and
-- rt:stats() counts one fallback. A missing model skips the real turn (exit 0) unless
-- PARLEY_REQUIRE_MODELS=1.
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local ffi = require "ffi"
local bit = require "bit"
local failures = 0
local function check(cond, what) if not cond then failures = failures + 1; io.stderr:write("FAIL ", what, "\n") end end
local secret = "sk-parley-lua-5ecret-91c2"

ffi.cdef [[
struct parley_test_sockaddr_in { uint16_t family; uint16_t port; uint32_t addr; uint8_t zero[8]; };
int socket(int domain, int type, int protocol);
int bind(int fd, const struct parley_test_sockaddr_in *addr, uint32_t len);
int getsockname(int fd, struct parley_test_sockaddr_in *addr, uint32_t *len);
int close(int fd);
int usleep(unsigned int usec);
]]

-- A loopback port nobody listens on (AF_INET 2, SOCK_STREAM 1; 127.0.0.1 in network order).
local function closed_port()
  local fd = ffi.C.socket(2, 1, 0)
  assert(fd >= 0, "socket")
  local a = ffi.new("struct parley_test_sockaddr_in", { family = 2, port = 0, addr = 0x0100007f })
  local len = ffi.new("uint32_t[1]", ffi.sizeof(a))
  local ok = ffi.C.bind(fd, a, len[0]) == 0 and ffi.C.getsockname(fd, a, len) == 0
  ffi.C.close(fd)
  assert(ok, "bind/getsockname")
  return bit.bor(bit.lshift(bit.band(a.port, 0xff), 8), bit.rshift(a.port, 8))
end
local url = "http://127.0.0.1:" .. closed_port() .. "/v1"

local function raises(what, needle, opts)
  local ok, e = pcall(parley.open, opts)
  check(not ok and tostring(e):find(needle, 1, true), what .. ": " .. tostring(e))
  check(not tostring(e):find(secret, 1, true), what .. ": the API key appears in the error")
end
local function refused(what, needle, opts)
  local rt, msg = parley.open(opts)
  check(rt == nil and type(msg) == "string" and msg:find(needle, 1, true), what .. ": " .. tostring(rt) .. ", " .. tostring(msg))
  check(not tostring(msg):find(secret, 1, true), what .. ": the API key appears in the message")
  if rt then rt:release() end
end

-- Wrong types: Lua errors naming the field.
raises("router.threshold = 'x'", "router.threshold must be a number", { router = { threshold = "x" } })
raises("router = 5", "router must be a table", { router = 5 })
raises("remote without url", "remote.url must be a string", { remote = { model = "big" } })
raises("remote.url = 42", "remote.url must be a string", { remote = { url = 42 } })
raises("remote.api_key = true", "remote.api_key must be a string", { remote = { url = url, api_key = true } })
raises("remote.max_retries = 1.5", "remote.max_retries must be an integer", { remote = { url = url, max_retries = 1.5 } })
raises("router.token_budget = inf", "router.token_budget must be an integer", { router = { token_budget = math.huge } })
-- Values out of range: nil, message.
refused("remote.url ftp://x", "http://", { remote = { url = "ftp://x", api_key = secret } })
refused("router.threshold NaN", "threshold", { router = { threshold = 0/0 } })
refused("router.threshold 5", "threshold", { remote = { url = url, api_key = secret }, router = { threshold = 5 } })
refused("remote.max_retries 9", "retries", { remote = { url = url, max_retries = 9, api_key = secret } })
refused("remote.first_byte_timeout_ms 0", "first-byte timeout", { remote = { url = url, first_byte_timeout_ms = 0 } })
refused("router.tokens_per_minute -1", "budget", { router = { tokens_per_minute = -1 } })
refused("router.latency_budget_ms 1e9", "latency budget", { router = { latency_budget_ms = 1e9 } })
refused("remote.api_key with a newline", "API key", { remote = { url = url, api_key = secret .. "\n" } })

-- Valid settings without a local model; stats carry the remote counters.
local rt = parley.open { remote = { url = url, model = "big", api_key = secret, first_byte_timeout_ms = 2000, max_retries = 0 },
                         router = { threshold = 0.7, token_budget = 100000, tokens_per_minute = 5000, latency_budget_ms = 1500 } }
check(rt ~= nil, "valid remote and router settings")
if rt then
  local s = rt:stats()
  check(s.remote_tokens == 0 and s.remote_fallbacks == 0 and s.turns_completed == 0 and type(s.last_turn) == "table",
        "stats of a fresh runtime")
  rt:release()
  check(not pcall(rt.stats, rt), "stats after release is a Lua error")
end

-- The fixed short form: remote = URL.
rt = parley.open { remote = url }
check(rt ~= nil, "remote = URL string")
if rt then rt:release() end
refused("remote = 'ftp://x'", "http://", { remote = "ftp://x" })
raises("remote = 42", "remote must be a table", { remote = 42 })

-- The real turn.
local model = "smollm2-135m-instruct-q4_1.gguf"
rt, msg = parley.open { model = model, remote = { url = url, model = "big", api_key = secret, max_retries = 0 } }
if not rt and tostring(msg):find("not found", 1, true) then
  if os.getenv("PARLEY_REQUIRE_MODELS") == "1" then
    io.stderr:write("FAIL ", model, " missing and PARLEY_REQUIRE_MODELS=1: ", tostring(msg), "\n")
    os.exit(1)
  end
  print("lua remote test: SKIP the real turn: " .. tostring(msg))
  if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
  os.exit(0)
end
check(rt ~= nil, "runtime with the model and a remote: " .. tostring(msg))
if rt then
  local mara = assert(rt:npc { name = "Mara", persona = "Innkeeper of the Drowned Lantern; warm, gossipy.",
                               policy = "remote", max_tokens = 8, temperature = 0 })
  local turn = assert(mara:say("Any work for me?")).id
  local seq, text, done = {}, {}, nil
  local deadline = os.time() + 600
  while os.time() < deadline do
    local ev = rt:poll()
    if not ev then ffi.C.usleep(2000) end
    if ev then
      for _, field in ipairs { "text", "name", "arguments" } do
        check(not tostring(ev[field]):find(secret, 1, true), "the API key appears in a " .. ev.type .. " event")
      end
    end
    if ev and ev.turn == turn then
      local c = "?"
      if ev.type == "route" and ev.text:find('"route":"remote"', 1, true) then c = "R"
      elseif ev.type == "route" and ev.text:find('"route":"local"', 1, true) and ev.text:find("fallback: ", 1, true) then c = "L"
      elseif ev.type == "error" and (ev.status == "network" or ev.status == "remote")
             and ev.text:sub(-#"the local model finishes the turn") == "the local model finishes the turn" then c = "E"
      elseif ev.type == "text" and #ev.text > 0 then c = "T"; text[#text + 1] = ev.text
      elseif ev.type == "done" and ev.status == nil then c = "D" end
      if ev.type == "route" or ev.type == "error" then print(ev.type .. " " .. tostring(ev.status or "") .. " " .. ev.text) end
      if not (c == "T" and seq[#seq] == "T") then seq[#seq + 1] = c end
      if ev.type == "done" then done = ev; break end
    end
  end
  check(done ~= nil, "the turn ended with done")
  check(table.concat(seq) == "RELTD", "event sequence " .. table.concat(seq) .. ", expected RELTD")
  check(table.concat(text):match("%S"), "the local model said something")
  print("mara, finished locally: " .. table.concat(text))
  local s = rt:stats()
  check(s.remote_fallbacks == 1 and s.remote_tokens == 0 and s.turns_completed == 1,
        string.format("stats: fallbacks %s, remote tokens %s, turns %s", s.remote_fallbacks, s.remote_tokens, s.turns_completed))
  mara:release()
  rt:release()
end
collectgarbage()
if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua remote test: all checks passed (remote " .. url .. ")")

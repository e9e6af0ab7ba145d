-- LuaJIT: a generated sweep over the whole module. Every function and method is called
-- with values of every Lua type (nil, booleans, ±0, NaN, ±inf, 2^63, huge and invalid
-- strings, tables with hostile metatables, cycles, deep nesting, functions, coroutines,
-- userdata and cdata of the wrong type, released objects) in every argument position,
-- and every option of every options table gets every value. Each call must return or
-- raise a Lua error; the process must never crash. With SmolLM2 present a second pass
-- runs over a runtime that has a model (turns start, barge in and are cancelled).
local lib = arg[1] or "dist/lib"
package.cpath = lib .. "/?.so;" .. package.cpath
local parley = require "parley"
local ffi = require "ffi"
ffi.cdef "int usleep(unsigned int usec);"

local function hostile(kind)
  return setmetatable({}, {
    __index = function() error("hostile __index (" .. kind .. ")") end,
    __newindex = function() error("hostile __newindex") end,
    __len = function() error("hostile __len") end,
    __tostring = function() error("hostile __tostring") end,
    __call = function() error("hostile __call") end,
    __eq = function() error("hostile __eq") end,
    __concat = function() error("hostile __concat") end,
  })
end
local cyclic = { 1, 2 }
cyclic[3] = cyclic
cyclic.self = cyclic
local deep = {}
do local t = deep; for _ = 1, 300 do t.next = {}; t = t.next end end
local deep_array = {}
do local t = deep_array; for _ = 1, 300 do t[1] = {}; t = t[1] end end
local holes = { [1] = 1, [3] = 3 }
local mixed = { 1, 2, a = "b" }
local huge = ("x"):rep(2 ^ 20)

local released_rt = assert(parley.open {})
released_rt:release()

local values = {
  { "nil", nil }, { "true", true }, { "false", false },
  { "0", 0 }, { "-0", -0.0 }, { "1", 1 }, { "-1", -1 }, { "0.5", 0.5 }, { "NaN", 0 / 0 },
  { "inf", math.huge }, { "-inf", -math.huge }, { "2^63", 2 ^ 63 }, { "-2^63", -(2 ^ 63) }, { "2^64", 2 ^ 64 },
  { "2^53+2", 2 ^ 53 + 2 }, { "2^31", 2 ^ 31 }, { "1e308", 1e308 }, { "denormal", 5e-324 },
  { "empty string", "" }, { "x", "x" }, { "NUL string", "a\0b" }, { "invalid UTF-8", "\255\254\128" },
  { "1 MB string", huge }, { "numeric string", "123" }, { "JSON string", '{"type":"object","properties":{}}' },
  { "bad JSON", '{"type":' }, { "empty table", {} }, { "array", { 1, 2, 3 } }, { "record", { a = 1 } },
  { "holes", holes }, { "mixed", mixed }, { "cyclic", cyclic }, { "deep", deep }, { "deep array", deep_array },
  { "hostile table", hostile("a") }, { "function", function() end },
  { "raising function", function() error("boom") end },
  { "yielding function", function() coroutine.yield() end },
  { "coroutine", coroutine.create(function() end) }, { "file userdata", io.stdout },
  { "proxy userdata", newproxy(true) }, { "parley.null", parley.null }, { "cdata", ffi.new("int[4]") },
  { "released runtime", released_rt },
}

local calls, raised, returned = 0, 0, 0
local function try(f, n, ...)
  calls = calls + 1
  local ok = pcall(f, ...)
  if ok then returned = returned + 1 else raised = raised + 1 end
end

-- Calls f with defaults[1..n], each position in turn replaced by every value, then
-- with the argument list cut short at every length and with one argument too many.
local function sweep(f, defaults, n)
  for position = 1, n do
    for _, v in ipairs(values) do
      local args = {}
      for i = 1, n do args[i] = defaults[i] end
      args[position] = v[2]
      try(f, n, unpack(args, 1, n))
    end
  end
  for cut = 0, n do try(f, cut, unpack(defaults, 1, cut)) end
  local extra = {}
  for i = 1, n do extra[i] = defaults[i] end
  extra[n + 1] = hostile("extra")
  try(f, n + 1, unpack(extra, 1, n + 1))
end

-- Every option of an options table with every value (the rest valid).
local function sweep_options(f, prefix_args, base, names)
  for _, name in ipairs(names) do
    for _, v in ipairs(values) do
      local options = {}
      for k, x in pairs(base) do options[k] = x end
      options[name] = v[2]
      local args = {}
      for i, a in ipairs(prefix_args) do args[i] = a end
      args[#args + 1] = options
      try(f, #args, unpack(args))
    end
  end
end

local function pass(rt, label)
  local npc = assert(rt:npc { name = "Sweep", max_tokens = 4 })
  local dead = assert(rt:npc { name = "Dead" })
  dead:release()
  values[#values + 1] = { "released npc", dead }
  values[#values + 1] = { "live npc", npc }
  values[#values + 1] = { "live runtime", rt }
  local fn = function() return true end
  local module = {
    { parley.open, { {} }, 1 }, { parley.json_decode, { '{"a":1}' }, 1 }, { parley.json_encode, { { a = 1 } }, 1 },
  }
  local rt_methods = {
    { "npc", { { name = "S" } } }, { "load_npc", { npc:save() } }, { "poll", {} }, { "update", { 0.016 } },
    { "stats", {} }, { "audio", { { device = "parley-sweep-no-device" } } }, { "audio_close", {} },
    { "listener", { { position = { 0, 0, 0 }, at = { 0, 0, -1 }, up = { 0, 1, 0 } } } },
  }
  local npc_methods = {
    { "say", { "hello" } }, { "cancel", {} }, { "save", {} }, { "set_position", { 1, 2, 3 } },
    { "tool", { "weigh", { n = { type = "integer", minimum = 1 } }, fn, { guard = fn, rate = 5, description = "d" } } },
    { "on", { "text", fn } }, { "add_tool", { "lift", "Lift it.", { type = "object", properties = {} } } },
    { "set_tool_guard", { "weigh", fn } }, { "set_tool_rate_limit", { "weigh", 2, 60 } },
    { "tool_result", { "call_1", { ok = true } } }, { "set_velocity", { 1, 2, 3 } }, { "is_speaking", {} },
  }
  for _, m in ipairs(module) do sweep(m[1], m[2], #m[2]) end
  for _, m in ipairs(rt_methods) do
    local defaults = { rt, unpack(m[2]) }
    sweep(rt[m[1]], defaults, #defaults)
  end
  for _, m in ipairs(npc_methods) do
    local defaults = { npc, unpack(m[2]) }
    sweep(npc[m[1]], defaults, #defaults)
  end
  sweep_options(parley.open, {}, {}, { "model", "voice", "threads", "ctx", "seed", "remote", "router", "typo" })
  sweep_options(parley.open, {}, { remote = { url = "http://127.0.0.1:9/v1" } }, { "router" })
  sweep_options(function(o) return parley.open { remote = o } end, {}, { url = "http://127.0.0.1:9/v1" },
                { "url", "model", "api_key", "first_byte_timeout_ms", "max_retries", "typo" })
  sweep_options(function(o) return parley.open { router = o } end, {}, {},
                { "threshold", "token_budget", "tokens_per_minute", "latency_budget_ms", "typo" })
  sweep_options(rt.audio, { rt }, { device = "parley-sweep-no-device" },
                { "device", "distance_model", "reference_distance", "rolloff", "max_distance", "gain", "typo" })
  sweep_options(rt.listener, { rt }, {}, { "position", "velocity", "at", "up", "typo" })
  sweep_options(rt.npc, { rt }, { name = "S" },
                { "name", "persona", "knowledge", "examples", "voice", "position", "policy", "max_tokens", "temperature",
                  "top_k", "top_p", "min_p", "repeat_penalty", "seed", "typo" })
  sweep_options(function(v) return rt:npc { name = "S", voice = v } end, {}, {}, { "rate", "noise_scale", "noise_w", "speaker", "preset", "pitch", "formant", "effects" })
  sweep_options(function(o) return npc:tool("opt", { n = "integer" }, fn, o) end, {}, {}, { "guard", "rate", "description", "typo" })
  -- A turn handle's method, when turns can start.
  local turn = npc:say("Hello.")
  if type(turn) == "table" then sweep(turn.cancel, { turn }, 1) end
  -- Drain: callbacks and tools registered above run against whatever arrives.
  for _ = 1, 200 do
    pcall(rt.update, rt, 0.016)
    ffi.C.usleep(5000)
  end
  for _, v in ipairs(values) do try(npc.release, 1, v[2]); try(rt.release, 1, v[2]) end
  values[#values], values[#values - 1], values[#values - 2] = nil, nil, nil
  print(string.format("sweep %s: %d calls (%d returned, %d raised)", label, calls, returned, raised))
end

pass(assert(parley.open {}), "without a model")
local models = os.getenv("PARLEY_MODELS") or "models"
local f = io.open(models .. "/smollm2-135m-instruct-q4_1.gguf", "rb")
if f then
  f:close()
  pass(assert(parley.open { model = "smollm2-135m-instruct-q4_1.gguf", ctx = 512 }), "with SmolLM2")
elseif os.getenv("PARLEY_REQUIRE_MODELS") == "1" then
  print("sweep: SmolLM2 missing"); os.exit(1)
end
collectgarbage()
collectgarbage()
assert(raised > 0 and returned > 0, "the sweep both raised and returned")
print("lua sweep: no crash")

-- LuaJIT: a designer's typo in an options table is a Lua error naming it, never a
-- crash or a silently ignored setting. No model needed.
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local failures = 0
local function check(cond, what) if not cond then failures = failures + 1; io.stderr:write("FAIL ", what, "\n") end end
local function raises(what, needle, f)
  local ok, e = pcall(f)
  check(not ok and tostring(e):find(needle, 1, true), what .. ": " .. tostring(e))
end

raises("open: unknown option", "unknown option 'thread'", function() return parley.open { thread = 2 } end)
raises("open: non-string key", "option names must be strings", function() return parley.open { 1 } end)
raises("open: model = 5", "model must be a string", function() return parley.open { model = 5 } end)
raises("open: seed = -1", "seed must be an integer", function() return parley.open { seed = -1 } end)
raises("open: voice_precision", "voice_precision must be \"exact\" or \"int16\", got \"half\"", function() return parley.open { voice_precision = "half" } end)
raises("remote: unknown option", "remote.unknown option 'key'", function() return parley.open { remote = { url = "http://127.0.0.1:1/v1", key = "x" } } end)
raises("router: unknown option", "router.unknown option 'treshold'", function() return parley.open { router = { treshold = 0.3 } } end)

local rt = assert(parley.open { threads = 1, ctx = 512, seed = 7 })
local function npc(t) return function() return rt:npc(t) end end
raises("npc: unknown option", "unknown option 'temprature'", npc { name = "A", temprature = 0.5 })
raises("npc: knowledge string", "knowledge must be a table of strings", npc { name = "A", knowledge = "x" })
raises("npc: knowledge number item", "knowledge[2] must be a string", npc { name = "A", knowledge = { "a", 2 } })
raises("npc: persona number", "persona must be a string", npc { name = "A", persona = 3 })
raises("npc: policy table", "policy must be a string", npc { name = "A", policy = {} })
raises("npc: voice string", "voice must be a table", npc { name = "A", voice = "joe" })
raises("npc: position short", "position must be {x, y, z}", npc { name = "A", position = { 1, 2 } })
raises("npc: position nan", "position must be {x, y, z}", npc { name = "A", position = { 1, 0/0, 3 } })
raises("npc: max_tokens huge", "max_tokens must be an integer", npc { name = "A", max_tokens = math.huge })
-- voice design (issue #17): preset, pitch, formant, effects
raises("npc: voice preset unknown", "voice.unknown voice preset \"elf\"", npc { name = "A", voice = { preset = "elf" } })
raises("npc: voice preset number", "voice.preset must be a string", npc { name = "A", voice = { preset = 3 } })
raises("npc: voice effect unknown", "voice.effects.[2]: unknown voice effect \"disco\"", npc { name = "A", voice = { effects = { "radio", "disco" } } })
raises("npc: voice effects string", "voice.effects must be a table", npc { name = "A", voice = { effects = "radio" } })
raises("npc: voice effects too many", "at most 8", npc { name = "A", voice = { effects = { "radio", "radio", "radio", "radio", "radio", "radio", "radio", "radio", "radio" } } })
-- values out of range: nil, message (a runtime failure, not a typo)
local n1, m1 = rt:npc { name = "A", voice = { pitch = 3 } }
check(n1 == nil and tostring(m1):find("voice pitch is 3", 1, true), "npc: voice pitch 3: " .. tostring(m1))
local n2, m2 = rt:npc { name = "A", voice = { formant = 0/0 } }
check(n2 == nil and tostring(m2):find("voice formant", 1, true), "npc: voice formant nan: " .. tostring(m2))
check(rt:npc { name = "W", voice = { preset = "witch", pitch = 1.2, formant = 1.1, rate = 0.9, effects = { "radio", "hall" } } } ~= nil,
      "a designed voice")
local a = rt:npc { name = "A", persona = "x", knowledge = { "one", "two" }, position = { 1, 2, 3 }, voice = { rate = 1 } }
check(a ~= nil, "a valid NPC")
-- the stack stays balanced after many refused tables
for _ = 1, 500 do pcall(rt.npc, rt, { name = "B", knowledge = { "a", false } }) end
check(rt:npc { name = "C" } ~= nil, "an NPC after 500 refused tables")
rt:release()

if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua options test: all checks passed")

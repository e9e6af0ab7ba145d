-- LuaJIT: positioned playback from Lua (rt:audio, rt:listener, npc:set_velocity,
-- npc:is_speaking). No model. Run with ALSOFT_DRIVERS=null so the default device
-- is OpenAL Soft's silent one; a bogus device name must come back as nil, message.
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local failures = 0
local function check(cond, what) if not cond then failures = failures + 1; io.stderr:write("FAIL ", what, "\n") end end
local function raises(what, needle, f)
  local ok, e = pcall(f)
  check(not ok and tostring(e):find(needle, 1, true), what .. ": " .. tostring(e))
end

local rt = assert(parley.open { threads = 1 })
local mara = assert(rt:npc { name = "Mara", position = { -3, 0, 0 } })

raises("audio: typo", "unknown option 'gian'", function() return rt:audio { gian = 1 } end)
raises("audio: model", "distance_model must be one of", function() return rt:audio { distance_model = "inverse-square" } end)
raises("audio: gain string", "gain must be a number", function() return rt:audio { gain = "loud" } end)
raises("audio: not a table", "expected a table", function() return rt:audio(5) end)
local ok, message = rt:audio { gain = 0 / 0 }
check(ok == nil and tostring(message):find("gain", 1, true), "audio: NaN gain is nil, message: " .. tostring(message))

ok, message = rt:audio { device = "parley-no-such-device" }
check(ok == nil and tostring(message):find("cannot open", 1, true), "audio: bogus device: " .. tostring(message))
local ev = rt:poll()
check(ev and ev.type == "error" and ev.status == "audioDevice", "audio: an error event for the failed open")

raises("listener: typo", "unknown option 'pos'", function() rt:listener { pos = { 0, 0, 0 } } end)
raises("listener: short", "position must be {x, y, z}", function() rt:listener { position = { 0, 0 } } end)
raises("listener: parallel", "not parallel", function() rt:listener { at = { 0, 1, 0 } } end)
rt:listener { position = { 0, 0, 0 }, velocity = { 0, 0, 0 }, at = { 0, 0, -1 }, up = { 0, 1, 0 } }
rt:listener { position = { 1, 0, 0 } }

raises("set_velocity: nan", "finite", function() mara:set_velocity(0, 0 / 0, 0) end)
mara:set_velocity(1, 0, 0)
mara:set_position(3, 0, 0)
check(mara:is_speaking() == false, "is_speaking without output")

-- ALSOFT_DRIVERS=null: the default device opens, silently
check(rt:audio { distance_model = "linear_clamped", reference_distance = 2, rolloff = 0.5, max_distance = 50, gain = 0.8 } == true,
      "audio on the null device")
check(mara:is_speaking() == false, "is_speaking before speech")
rt:update(0)
rt:audio_close()
rt:audio_close()
check(rt:audio() == true, "audio reopened with defaults")
mara:release()
rt:release()
raises("audio after release", "used after release", function() return rt:audio {} end)

if failures > 0 then io.stderr:write(failures, " failed\n"); os.exit(1) end
print("audio.lua: OK")

-- LuaJIT: an NPC on the real model answers, streams text, finishes with done;
-- save/load round trip; misuse is a Lua error or nil, message. Needs the models.
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local failures = 0
local function check(cond, what) if not cond then failures = failures + 1; io.stderr:write("FAIL ", what, "\n") end end

local rt = assert(parley.open { model = "smollm2-135m-instruct-q4_1.gguf" })
local mara = assert(rt:npc { name = "Mara", persona = "Innkeeper of the Drowned Lantern; warm, gossipy.",
                             knowledge = { "The lighthouse went dark forty years ago." },
                             max_tokens = 16, temperature = 0, position = { 2, 0, -3 } })
local turn = assert(mara:say("Any work for me?"))
local ffi = require "ffi"
ffi.cdef "int usleep(unsigned int usec);"
local text, done = {}, nil
local deadline = os.time() + 120
while os.time() < deadline do
  local ev = rt:poll()
  if not ev then ffi.C.usleep(2000) end  -- a game would render a frame here
  if ev and ev.turn == turn then
    if ev.type == "text" then text[#text + 1] = ev.text end
    if ev.type == "done" then done = ev; break end
  end
end
check(done ~= nil and done.status == nil, "turn finished ok")
check(#text > 0 and table.concat(text):match("%S"), "streamed text")
print("mara: " .. table.concat(text))

local saved = mara:save()
check(type(saved) == "string" and saved:find('"name":"Mara"', 1, true), "save gives the NPC's bytes")
mara:release()
check(not pcall(mara.say, mara, "hello"), "say after release is a Lua error")
local again = assert(rt:load_npc(saved))
check(again:id() > 0, "loaded NPC has an id")
local bad, msg = rt:load_npc("{not json")
check(bad == nil and type(msg) == "string", "corrupt save gives nil, message")
local none, why = rt:npc { name = "" }
check(none == nil and why:find("name"), "invalid NPC gives nil, message")
-- Integer fields that are no integer (math.huge, NaN, 2^63, 1.5) are Lua errors, never a crash;
-- integers out of NPCLimits give nil, message naming the field and its range.
for _, bad in ipairs { math.huge, -math.huge, 0/0, 2^63, 1.5 } do
  local ok, e = pcall(rt.npc, rt, { name = "Bad", max_tokens = bad })
  check(not ok and tostring(e):find("max_tokens must be an integer", 1, true), "max_tokens = " .. tostring(bad) .. ": " .. tostring(e))
end
local ok_k, e_k = pcall(rt.npc, rt, { name = "Bad", top_k = 0/0 })
check(not ok_k and tostring(e_k):find("top_k", 1, true), "top_k = NaN: " .. tostring(e_k))
local ok_s, e_s = pcall(rt.npc, rt, { name = "Bad", voice = { speaker = math.huge } })
check(not ok_s and tostring(e_s):find("voice.speaker", 1, true), "voice.speaker = inf: " .. tostring(e_s))
local ok_seed, e_seed = pcall(rt.npc, rt, { name = "Bad", seed = -1 })
check(not ok_seed and tostring(e_seed):find("seed", 1, true), "seed = -1: " .. tostring(e_seed))
local ok_t, e_t = pcall(rt.npc, rt, { name = "Bad", max_tokens = "many" })
check(not ok_t and tostring(e_t):find("max_tokens must be a number", 1, true), "max_tokens = 'many': " .. tostring(e_t))
local big, why_big = rt:npc { name = "Bad", max_tokens = 5000 }
check(big == nil and why_big:find("max reply tokens", 1, true) and why_big:find("1…1024", 1, true), "max_tokens 5000: " .. tostring(why_big))
local hot, why_hot = rt:npc { name = "Bad", temperature = math.huge }
check(hot == nil and why_hot:find("temperature", 1, true), "temperature inf: " .. tostring(why_hot))
local pol_ok, pol_e = pcall(rt.npc, rt, { name = "Bad", policy = "cloud" })
check(not pol_ok and tostring(pol_e):find("policy", 1, true), "unknown policy: " .. tostring(pol_e))
local fine = rt:npc { name = "Fine", max_tokens = 8, top_k = 10, top_p = 0.9, min_p = 0, repeat_penalty = 1, policy = "local", seed = 2^53 }
check(fine ~= nil, "valid sampler fields are accepted")
if fine then fine:release() end
again:release()
rt:release()
collectgarbage()
if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua npc test: all checks passed")

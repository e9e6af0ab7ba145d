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
again:release()
rt:release()
collectgarbage()
if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua npc test: all checks passed")

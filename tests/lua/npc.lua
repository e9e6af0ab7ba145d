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
local turn = assert(mara:say("Any work for me?")).id
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
check(again.id > 0, "loaded NPC has an id")
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

-- Tools on a real turn: a guarded tool; tool_call events are answered with tool_result.
-- Whether the model calls is its choice (no call passes); a call that arrives must carry
-- a call_id and arguments, be answered, and the turn must end done with a reply.
local brom = assert(rt:npc { name = "Brom", persona = "The village blacksmith; gruff, honest.", max_tokens = 24, temperature = 0 })
assert(brom:add_tool("sell_item", "Sell the player items from the forge.",
                     { type = "object", required = { "item", "quantity" },
                       properties = { item = { type = "string", enum = { "sword", "shield", "healing_potion" } },
                                      quantity = { type = "integer", minimum = 1, maximum = 5 } } }))
local guard_runs = 0
assert(brom:set_tool_guard("sell_item", function(args)
  guard_runs = guard_runs + 1
  local q = tonumber(args:match('"quantity"%s*:%s*(%d+)'))
  if not q or q > 3 then return false, "only 3 of each on the rack" end
  return true
end))
assert(brom:set_tool_rate_limit("sell_item", 2, 60))
-- Polls until the turn's done event (returned; nil after 120 s), handing each of its
-- events to on_event.
local function drive(turn_id, on_event)
  local until_s = os.time() + 120
  while os.time() < until_s do
    local ev = rt:poll()
    if not ev then ffi.C.usleep(2000) end
    if ev and ev.turn == turn_id then
      if ev.type == "done" then return ev end
      on_event(ev)
    end
  end
  return nil
end

local bturn = assert(brom:say("Sell me one sword, please.")).id
local calls, answered, rejected, btext = 0, 0, 0, {}
local bdone = drive(bturn, function(ev)
  if ev.type == "text" then btext[#btext + 1] = ev.text end
  if ev.type == "tool_call" then
    calls = calls + 1
    check(type(ev.call_id) == "string" and ev.name == "sell_item" and ev.arguments == ev.text, "tool_call event fields")
    check(tostring(ev.arguments):find('"item"', 1, true) ~= nil, "tool_call arguments: " .. tostring(ev.arguments))
    local ok, why = brom:tool_result(ev.call_id, { ok = true, paid_gold = 40 })
    check(ok == true, "tool_result: " .. tostring(why))
    if ok then answered = answered + 1 end
    local again_ok, again_why = brom:tool_result(ev.call_id, { ok = true })
    check(again_ok == nil and tostring(again_why):find("not waiting", 1, true), "a call is answered once: " .. tostring(again_why))
  end
  if ev.type == "error" and ev.status == "toolRejected" then
    rejected = rejected + 1
    print("rejected " .. tostring(ev.name) .. " " .. tostring(ev.arguments) .. ": " .. tostring(ev.text))
  end
end)
check(bdone ~= nil and bdone.status == nil, "tool turn finished ok")
check(calls == 0 or table.concat(btext):match("%S"), "a reply after the tool call")
check(guard_runs >= calls, "every call passed the guard")
print(string.format("brom: %s [tool calls %d, answered %d, rejected %d, guard ran %d]",
                    table.concat(btext), calls, answered, rejected, guard_runs))

-- A request the guard refuses (five, three on the rack): the guard is asked inside rt:poll
-- before the NPC writes a call, so no call arrives and Brom answers in words.
local runs_before = guard_runs
local rturn = assert(brom:say("Sell me five shields, please.")).id
local rcalls, rtext = 0, {}
local rdone = drive(rturn, function(ev)
  if ev.type == "text" then rtext[#rtext + 1] = ev.text end
  if ev.type == "tool_call" then
    rcalls = rcalls + 1
    brom:tool_result(ev.call_id, { ok = true })
  end
  if ev.type == "error" and ev.status == "toolRejected" then rcalls = rcalls + 1 end
end)
check(rdone ~= nil and rdone.status == nil, "refused request finished ok")
check(rcalls == 0, "no call for a request the guard refuses (" .. rcalls .. ")")
check(guard_runs > runs_before, "the guard was asked before the NPC acted")
check(table.concat(rtext):match("%S") ~= nil, "a reply to the refused request")
print(string.format("brom, refused: %s [calls %d, guard ran %d more]", table.concat(rtext), rcalls, guard_runs - runs_before))
brom:release()
again:release()
rt:release()
collectgarbage()
if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua npc test: all checks passed")

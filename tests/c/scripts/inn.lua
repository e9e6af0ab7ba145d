-- Loaded by tests/c/script.c through parley_runtime_load_script: Mara answers a line
-- inside a coroutine started by update(); a text callback raises once, and update()
-- raises once, on purpose. Globals are read back by the probe scripts of the test.
updates, last_dt, reply, done_seen = 0, -1, nil, false
local mara = assert(rt:npc { name = "Mara", persona = "Innkeeper of the Drowned Lantern.", max_tokens = 8, temperature = 0 })
mara_id = mara.id
local failed_once = false
mara:on("text", function()
  if not failed_once then failed_once = true; error("typo in a text callback") end
end)
mara:on("done", function(ev) done_seen = ev.status == nil end)
local scene = coroutine.create(function() reply = mara:say("Any work for me?") end)
function update(dt)
  updates = updates + 1
  last_dt = dt
  if updates == 1 then assert(coroutine.resume(scene)) end
  if updates == 2 then error("update failed on purpose") end
end

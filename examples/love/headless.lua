-- PARLEY_HEADLESS=1: the same game without a window, for CI. The player walks up
-- to Brom, asks him two things (his scene runs in a coroutine), walks on to Mara
-- while Brom still thinks and talks, asks her two things, then waits for both
-- voices to finish. Prints one JSON line; exits non-zero with the reasons on
-- stderr if there was no audio, no text, no visemes, a failed turn, or a timeout.
local headless = {}

local TIMEOUT = tonumber(os.getenv("PARLEY_LOVE_TIMEOUT") or "") or 120
local DRAIN_SECONDS = 30   -- after the last reply, how long the voices may still play

local LINES = {
  Brom = { "Hello, smith. Any work for a traveller?", "Where does your iron come from?" },
  Mara = { "Good evening! Do you have a room for the night?", "Any news about the lighthouse?" },
}

local tavern, walker, start, scenes_left, replies_done_at, finished

-- Frames of walking: yields once a frame until the player stands near (x, y).
local function walk_to(x, y)
  local p = tavern.player
  while math.abs(p.x - x) + math.abs(p.y - y) > 0.3 do
    local dt = coroutine.yield()
    tavern.move_player(x - p.x, y - p.y, dt)
  end
end

local function scene(npc)
  scenes_left = scenes_left + 1
  local co = coroutine.create(function()
    for _, line in ipairs(LINES[npc.name] or { "Hello.", "Goodbye." }) do
      if not tavern.ask(npc, line) then break end
    end
    scenes_left = scenes_left - 1
  end)
  local ok, e = coroutine.resume(co)
  if not ok then tavern.fail(npc.name .. " scene: " .. tostring(e)) end
end

function headless.start(t)
  tavern, start, scenes_left = t, love.timer.getTime(), 0
  walker = coroutine.create(function()
    for _, npc in ipairs(tavern.npcs) do
      walk_to(npc.x, npc.y + 1.5)
      scene(npc)
    end
    walk_to(9.5, 7)   -- back to the middle of the room while they talk
  end)
end

local function finish()
  finished = true
  local c = tavern.counts
  if c.audio_chunks == 0 then tavern.fail("no audio") end
  if c.subtitle_chars == 0 then tavern.fail("no subtitle text") end
  if c.visemes == 0 then tavern.fail("no visemes") end
  if (tavern.turns or 0) < 2 * #tavern.npcs then tavern.fail(("only %d of %d turns answered"):format(tavern.turns or 0, 2 * #tavern.npcs)) end
  local played = 0   -- seconds of speech handed to LÖVE's sources
  for _, npc in ipairs(tavern.npcs) do played = played + npc.voice.fed / (npc.voice.rate or 1) end
  print(("{\"audio_chunks\":%d,\"subtitle_chars\":%d,\"visemes\":%d,\"worst_frame_ms\":%.2f,\"worst_dt_ms\":%.2f,\"frames\":%d,\"turns\":%d,\"speech_s\":%.1f,\"seconds\":%.1f}")
    :format(c.audio_chunks, c.subtitle_chars, c.visemes, tavern.worst_frame_ms, tavern.worst_dt_ms,
            tavern.frames, tavern.turns or 0, played, love.timer.getTime() - start))
  io.stdout:flush()
  if os.getenv("PARLEY_LOVE_VERBOSE") == "1" then
    for _, line in ipairs(tavern.log) do io.stderr:write(line, "\n") end
  end
  if #tavern.failures > 0 then
    for _, f in ipairs(tavern.failures) do io.stderr:write("love headless: ", f, "\n") end
    love.event.quit(1)
  else
    love.event.quit(0)
  end
end

function headless.update(dt)
  if finished then return end
  if walker and coroutine.status(walker) ~= "dead" then
    local ok, e = coroutine.resume(walker, dt)
    if not ok then tavern.fail("walker: " .. tostring(e)) end
  end
  local now = love.timer.getTime()
  if #tavern.failures > 0 then return finish() end
  if now - start > TIMEOUT then
    tavern.fail(("timed out after %d s (%d scene(s) still running)"):format(TIMEOUT, scenes_left))
    return finish()
  end
  if coroutine.status(walker) == "dead" and scenes_left == 0 then
    replies_done_at = replies_done_at or now
    local speaking = false
    for _, npc in ipairs(tavern.npcs) do speaking = speaking or npc.voice:speaking() end
    if not speaking or now - replies_done_at > DRAIN_SECONDS then finish() end
  end
end

return headless

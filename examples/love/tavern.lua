-- The world shared by the windowed game and the headless run: Parley, the NPCs,
-- their voices, subtitles and mouths, the player, and the frame-time record.
local Voice = require "voice"

local tavern = { TILE = 48, npcs = {}, log = {}, counts = { audio_chunks = 0, subtitle_chars = 0, visemes = 0 },
                 failures = {}, worst_frame_ms = 0, worst_dt_ms = 0, frames = 0 }

-- parley.so (a link to libparley.so) is looked for in $PARLEY_LIB_DIR (e.g.
-- dist/lib), then next to main.lua (or next to the .love / fused executable).
-- LÖVE's own require only searches its virtual filesystem, so real directories
-- go on package.cpath; the last one added is searched first.
local function add_cpath(dir)
  if dir and dir ~= "" then package.cpath = dir .. "/?.so;" .. package.cpath end
end

function tavern.load_parley()
  local source = love.filesystem.getSource()
  if love.filesystem.isFused() or source:match("%.love$") then
    add_cpath(love.filesystem.getSourceBaseDirectory())   -- dlopen cannot read a .so inside a zip
  else
    add_cpath(source)
  end
  add_cpath(os.getenv("PARLEY_LIB_DIR"))
  local ok, parley = pcall(require, "parley")
  if not ok then return nil, "cannot load parley.so (put it next to main.lua or set PARLEY_LIB_DIR): " .. tostring(parley) end
  return parley
end

local NPCS = {
  { name = "Brom", tx = 4, ty = 4, color = { 0.75, 0.45, 0.3 },
    persona = "Brom, the village blacksmith, drinking at the Drowned Lantern after work; gruff, honest, few words.",
    knowledge = { "Iron comes from the Greyhill mine.", "Wolves have been seen near the north road." },
    examples = { { player = "Hello.", reply = "Hm. Need something forged?" } } },
  { name = "Mara", tx = 15, ty = 4, color = { 0.55, 0.4, 0.75 },
    persona = "Mara, innkeeper of the Drowned Lantern; warm, quick-witted, knows every rumour.",
    knowledge = { "A room costs two silver a night.", "The lighthouse keeper has not been seen for a week." },
    examples = { { player = "Hello.", reply = "Welcome to the Drowned Lantern! Ale or a room?" } } },
}

local function note(line) tavern.log[#tavern.log + 1] = line end
local function fail(what)
  tavern.failures[#tavern.failures + 1] = what
  note("! " .. what)
end
tavern.fail = fail

function tavern.open(parley)
  -- Inference threads: leave a core to the game's own main thread, or frames wait
  -- on the scheduler while the model thinks (PARLEY_LOVE_THREADS overrides).
  local threads = tonumber(os.getenv("PARLEY_LOVE_THREADS") or "") or math.max(1, love.system.getProcessorCount() - 1)
  local rt, err = parley.open { model = os.getenv("PARLEY_LOVE_MODEL") or "smollm2-135m-instruct-q4_1.gguf",
                                voice = os.getenv("PARLEY_LOVE_VOICE") or "en_US-joe-medium.onnx", threads = threads }
  if not rt then return nil, "parley.open: " .. tostring(err) end
  tavern.rt = rt
  tavern.player = { x = 9.5, y = 9, speed = 4 }
  for _, def in ipairs(NPCS) do
    local x, y = def.tx + 0.5, def.ty + 0.5
    local handle, why = rt:npc { name = def.name, persona = def.persona, knowledge = def.knowledge,
                                 examples = def.examples, position = { x, 0, y }, max_tokens = 40 }
    if not handle then return nil, "rt:npc " .. def.name .. ": " .. tostring(why) end
    local npc = { def = def, name = def.name, x = x, y = y, handle = handle, subtitle = "", busy = false,
                  voice = Voice.new(x, y) }
    -- What each event does to the scene.
    local apply = {
      text = function(ev) npc.subtitle = npc.subtitle .. ev.text end,
      audio = function(ev) npc.voice:audio(ev) end,
      viseme = function(ev) npc.voice:viseme(ev) end,
    }
    for kind, count in pairs { text = "subtitle_chars", audio = "audio_chunks", viseme = "visemes" } do
      handle:on(kind, function(ev)
        local c = tavern.counts
        c[count] = c[count] + (kind == "text" and #ev.text or 1)
        -- After a barge-in the cut-off turn's last events may still come; the turn id
        -- that says which is which is only known from its "done", so hold them until then.
        if npc.hold then npc.hold[#npc.hold + 1] = { kind, ev } else apply[kind](ev) end
      end)
    end
    handle:on("done", function(ev)
      local held = npc.hold
      if not held then return end
      npc.hold = nil
      for _, h in ipairs(held) do
        if h[2].turn ~= ev.turn then apply[h[1]](h[2]) end
      end
    end)
    handle:on("error", function(ev)
      -- A cut-off turn is the player's doing, not a failure.
      if ev.status ~= "cancelled" then fail(npc.name .. " error (" .. tostring(ev.status) .. "): " .. tostring(ev.text)) end
    end)
    tavern.npcs[#tavern.npcs + 1] = npc
  end
  love.audio.setDistanceModel("inverseclamped")
  love.audio.setOrientation(0, 0, -1, 0, 1, 0)
  return rt
end

function tavern.nearest(range)
  local best, bestd
  for _, npc in ipairs(tavern.npcs) do
    local d = math.sqrt((npc.x - tavern.player.x) ^ 2 + (npc.y - tavern.player.y) ^ 2)
    if d <= range and (not bestd or d < bestd) then best, bestd = npc, d end
  end
  return best
end

-- One line to an NPC from inside a coroutine: say waits there for the reply while
-- frames go on. Talking over a busy NPC cuts it off (barge-in).
function tavern.ask(npc, line)
  if npc.busy then
    npc.handle:cancel()
    npc.voice:flush()
    npc.hold = npc.hold or {}
  end
  local me = {}
  npc.busy, npc.asking = true, me
  npc.subtitle = ""
  note("You (to " .. npc.name .. "): " .. line)
  local reply, err = npc.handle:say(line)
  if npc.asking == me then npc.busy = false end   -- a cut-off line returns after the next began
  if reply then
    note(npc.name .. ": " .. reply)
    tavern.turns = (tavern.turns or 0) + 1
  elseif not tostring(err):find("cancel") then
    fail(npc.name .. " turn failed: " .. tostring(err))
  end
  return reply, err
end

-- The same from a key press: each line gets its own coroutine.
function tavern.talk(npc, line)
  local ok, e = coroutine.resume(coroutine.create(tavern.ask), npc, line)
  if not ok then fail("talk: " .. tostring(e)) end
end

function tavern.move_player(dx, dy, dt)
  local p = tavern.player
  if dx == 0 and dy == 0 then return end
  local len = math.sqrt(dx * dx + dy * dy)
  p.x = math.max(1, math.min(19, p.x + dx / len * p.speed * dt))
  p.y = math.max(1, math.min(11.5, p.y + dy / len * p.speed * dt))
end

-- The frame's work: Parley's events (callbacks, waiting coroutines), then audio.
-- Never blocks: the model and voice run on Parley's threads.
function tavern.update(dt)
  local n, err = tavern.rt:update(dt)
  if not n then fail("rt:update: " .. tostring(err)) end
  love.audio.setPosition(tavern.player.x, 0, tavern.player.y)
  for _, npc in ipairs(tavern.npcs) do
    npc.voice:update(dt)
    -- A subtitle stays up a few seconds after the NPC falls silent.
    if npc.busy or npc.voice:speaking() then npc.quiet = 0 else npc.quiet = (npc.quiet or 0) + dt end
    if npc.quiet > 5 then npc.subtitle = "" end
  end
end

-- Frame time: the main thread's work in a frame (events, update, draw; not the
-- vsync wait or the idle sleep), and the gap between frames (which also counts
-- the OS scheduling us late). The first frames build font atlases and shaders
-- once; they are not the game's pace.
local WARMUP_FRAMES = 3
function tavern.frame_done(work, dt)
  tavern.frames = tavern.frames + 1
  if tavern.frames > WARMUP_FRAMES then
    tavern.worst_frame_ms = math.max(tavern.worst_frame_ms, work * 1000)
    tavern.worst_dt_ms = math.max(tavern.worst_dt_ms, dt * 1000)
  end
end

return tavern

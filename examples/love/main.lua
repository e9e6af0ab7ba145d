-- The Drowned Lantern: a LÖVE 11.4 tavern with two Parley NPCs. Walk up to one
-- (arrow keys), type, press Enter; the reply streams as subtitles, is spoken
-- through LÖVE's own audio (a positional QueueableSource per NPC) and moves the
-- NPC's mouth. Inference runs on Parley's threads; a frame only pumps events.
--
--   PARLEY_MODELS=~/.cache/parley/models PARLEY_LIB_DIR=dist/lib love examples/love
--   (or put parley.so, a link to libparley.so, next to this main.lua)
--   PARLEY_HEADLESS=1 ALSOFT_DRIVERS=null ...   the scripted CI run (headless.lua)
local tavern = require "tavern"
local utf8 = require "utf8"

local HEADLESS = os.getenv("PARLEY_HEADLESS") == "1"
local TALK_RANGE = 2.5
local script
local input = ""
local fonts = {}

local function fatal(message)
  if HEADLESS then
    io.stderr:write("love headless: ", message, "\n")
    love.event.quit(1)
  else
    error(message, 0)
  end
end

if HEADLESS then
  -- The stock handler wants a window; here a Lua error is a message and exit 1.
  function love.errorhandler(msg)
    io.stderr:write("love headless: ", debug.traceback(tostring(msg), 2), "\n")
    return function() return 1 end
  end
end

function love.load()
  local parley, err = tavern.load_parley()
  if not parley then return fatal(err) end
  local rt, why = tavern.open(parley)
  if not rt then return fatal(why) end
  if HEADLESS then
    script = require "headless"
    script.start(tavern)
  else
    love.keyboard.setKeyRepeat(true)
    fonts.small = love.graphics.newFont(13)
    fonts.big = love.graphics.newFont(16)
  end
end

-- LÖVE 11.4's own main loop, plus the frame-time record: the clock runs from the
-- frame's events to the end of love.draw (before present, which waits for vsync).
-- Headless, the loop is paced like a 60 Hz game instead of spinning at ~1000 Hz.
function love.run()
  if love.load then love.load(love.arg.parseGameArguments(arg), arg) end
  love.timer.step()   -- the first dt does not count love.load
  return function()
    local start = love.timer.getTime()
    love.event.pump()
    for name, a, b, c, d, e, f in love.event.poll() do
      if name == "quit" and not (love.quit and love.quit()) then return a or 0 end
      love.handlers[name](a, b, c, d, e, f)
    end
    local dt = love.timer.step()
    love.update(dt)
    local drawn = love.graphics and love.graphics.isActive()
    if drawn then
      love.graphics.origin()
      love.graphics.clear(love.graphics.getBackgroundColor())
      love.draw()
    end
    local work = love.timer.getTime() - start
    if tavern.rt then tavern.frame_done(work, dt) end
    if drawn then love.graphics.present() end
    love.timer.sleep(HEADLESS and math.max(0.001, 1 / 60 - work) or 0.001)
  end
end

function love.update(dt)
  if not tavern.rt then return end
  if not HEADLESS then
    local k = love.keyboard.isDown
    tavern.move_player((k("right") and 1 or 0) - (k("left") and 1 or 0), (k("down") and 1 or 0) - (k("up") and 1 or 0), dt)
  end
  tavern.update(dt)
  if script then script.update(dt) end
end

function love.textinput(t)
  if #input < 200 then input = input .. t end
end

function love.keypressed(key)
  if key == "backspace" then
    local last = utf8.offset(input, -1)
    if last then input = input:sub(1, last - 1) end
  elseif key == "return" or key == "kpenter" then
    local npc = tavern.nearest(TALK_RANGE)
    if npc and input:match("%S") then
      tavern.talk(npc, input)
      input = ""
    end
  elseif key == "escape" then
    if input ~= "" then input = "" else love.event.quit() end
  end
end

-- Mouth size (fraction of the face's radius) for each of Parley's 15 visemes.
local MOUTHS = {
  sil = { 0.45, 0.04 }, PP = { 0.4, 0.02 }, FF = { 0.45, 0.1 }, TH = { 0.45, 0.16 }, DD = { 0.45, 0.22 },
  kk = { 0.45, 0.28 }, CH = { 0.35, 0.28 }, SS = { 0.5, 0.12 }, nn = { 0.45, 0.18 }, RR = { 0.3, 0.26 },
  aa = { 0.5, 0.5 }, E = { 0.55, 0.34 }, ih = { 0.55, 0.22 }, oh = { 0.32, 0.42 }, ou = { 0.22, 0.3 },
}

local function draw_npc(npc, T)
  local x, y, r = npc.x * T, npc.y * T, T * 0.6
  love.graphics.setColor(npc.def.color)
  love.graphics.circle("fill", x, y, r)
  love.graphics.setColor(0.1, 0.08, 0.06)
  love.graphics.circle("fill", x - r * 0.35, y - r * 0.25, r * 0.1)
  love.graphics.circle("fill", x + r * 0.35, y - r * 0.25, r * 0.1)
  local m = MOUTHS[npc.voice.mouth] or MOUTHS.sil
  love.graphics.ellipse("fill", x, y + r * 0.4, r * m[1] * 0.8, math.max(1, r * m[2] * 0.8))
  love.graphics.setFont(fonts.small)
  love.graphics.setColor(1, 0.95, 0.8)
  love.graphics.printf(npc.name .. (npc.busy and " …" or ""), x - 60, y + r + 4, 120, "center")
  if npc.subtitle ~= "" then
    local w = 280
    local _, lines = fonts.small:getWrap(npc.subtitle, w - 16)
    local h = #lines * fonts.small:getHeight() + 12
    local bx, by = math.max(4, math.min(love.graphics.getWidth() - w - 4, x - w / 2)), y - r - h - 8
    love.graphics.setColor(0, 0, 0, 0.7)
    love.graphics.rectangle("fill", bx, by, w, h, 6)
    love.graphics.setColor(1, 1, 1)
    love.graphics.printf(npc.subtitle, bx + 8, by + 6, w - 16)
  end
end

function love.draw()
  local T = tavern.TILE
  local W, H = love.graphics.getDimensions()
  love.graphics.clear(0.16, 0.11, 0.08)
  -- Floor boards, the bar and two tables.
  love.graphics.setColor(0.3, 0.2, 0.13)
  love.graphics.rectangle("fill", T * 0.5, T * 0.5, T * 19, T * 11.5)
  love.graphics.setColor(0.22, 0.14, 0.09)
  for row = 1, 11 do love.graphics.line(T * 0.5, T * (row + 0.5), T * 19.5, T * (row + 0.5)) end
  love.graphics.setColor(0.45, 0.28, 0.15)
  love.graphics.rectangle("fill", T * 12, T * 2.2, T * 6, T * 0.8, 4)
  love.graphics.circle("fill", T * 5, T * 8, T * 0.9)
  love.graphics.circle("fill", T * 14, T * 8.5, T * 0.9)

  for _, npc in ipairs(tavern.npcs) do draw_npc(npc, T) end
  local p = tavern.player
  if p then
    love.graphics.setColor(0.35, 0.65, 0.9)
    love.graphics.circle("fill", p.x * T, p.y * T, T * 0.4)
  end

  -- The prompt line and the conversation log.
  love.graphics.setFont(fonts.big)
  local near = tavern.player and tavern.nearest(TALK_RANGE)
  love.graphics.setColor(0, 0, 0, 0.75)
  love.graphics.rectangle("fill", 0, H - 34, W, 34)
  love.graphics.setColor(1, 1, 1)
  if near then
    love.graphics.print("To " .. near.name .. ": " .. input .. ((love.timer.getTime() % 1 < 0.5) and "_" or ""), 10, H - 26)
  else
    love.graphics.print("Arrow keys: walk up to someone. Type and press Enter to talk. Esc: quit.", 10, H - 26)
  end
  -- The last lines of the conversation, newest at the bottom, in a panel at the top right.
  local font, lw = fonts.small, 360
  local y, shown = 8, {}
  for i = #tavern.log, math.max(1, #tavern.log - 5), -1 do
    local _, wrapped = font:getWrap(tavern.log[i], lw)
    table.insert(shown, 1, { text = tavern.log[i], h = #wrapped * font:getHeight() + 4 })
  end
  local total = 0
  for _, l in ipairs(shown) do total = total + l.h end
  if total > 0 then
    love.graphics.setColor(0, 0, 0, 0.55)
    love.graphics.rectangle("fill", W - lw - 16, 4, lw + 12, total + 8, 6)
  end
  love.graphics.setFont(font)
  love.graphics.setColor(1, 1, 1, 0.85)
  for _, l in ipairs(shown) do
    love.graphics.printf(l.text, W - lw - 10, y, lw)
    y = y + l.h
  end
  love.graphics.print(("worst frame %.1f ms   fps %d"):format(tavern.worst_frame_ms, love.timer.getFPS()), 10, 6)
end

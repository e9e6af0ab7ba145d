-- PARLEY_HEADLESS=1: no window and no graphics (CI has no display). LÖVE 11.4 then
-- needs no X server; audio still runs (ALSOFT_DRIVERS=null gives OpenAL a device
-- that plays into nothing at real speed).
function love.conf(t)
  t.identity = "parley-tavern"
  t.version = "11.4"
  t.console = false
  t.modules.physics = false
  t.modules.joystick = false
  t.modules.video = false
  if os.getenv("PARLEY_HEADLESS") == "1" then
    t.window = false
    t.modules.window = false
    t.modules.graphics = false
    t.modules.font = false
    t.modules.image = false
    t.modules.keyboard = false
    t.modules.mouse = false
    t.modules.touch = false
  else
    t.window.title = "The Drowned Lantern (Parley + LÖVE)"
    t.window.width = 960
    t.window.height = 600
    t.window.vsync = 1
  end
end

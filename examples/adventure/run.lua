-- Greyhill from plain LuaJIT, without the parley CLI: a minimal host that runs a
-- script of player lines and prints the transcript, then the final state.
--   luajit examples/adventure/run.lua examples/adventure/walkthrough.txt [dist/lib] [model]
-- It shows the whole host protocol `parley play` uses: command, update, busy, drain.
local script, lib, model = arg[1], arg[2] or "dist/lib", arg[3]
if not script then io.stderr:write("usage: luajit run.lua SCRIPT [LIBDIR] [MODEL]\n"); os.exit(2) end
package.cpath = lib .. "/?.so;" .. package.cpath
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local ffi = require "ffi"
ffi.cdef "int usleep(unsigned int usec);"

local game = assert(loadfile(here .. "/main.lua"))({ dir = here, seed = 7, save_path = "greyhill.save",
  model = model or "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" })   -- no voice: text only
local function show()
  for _, r in ipairs(game:drain()) do
    if r.kind == "text" then io.write(r.text)
    elseif r.kind == "done" then io.write("  [", r.route, "]\n")
    elseif r.kind == "narrate" or r.kind == "note" then print(r.text)
    elseif r.kind == "tool" then print("  [quest hook " .. r.name .. " " .. r.arguments .. "]") end
  end
end
game:intro(); show()
for line in io.lines(script) do
  if line:match("%S") and not line:match("^%s*#") then
    print("> " .. line)
    if not game:command(line) then break end
    repeat game:update(0.01); show(); ffi.C.usleep(5000) until not game:busy()
    game:update(0); show()
  end
end
print(game:state_json())
game:shutdown()

-- LuaJIT smoke test: require "parley" from dist/lib, check the API surface and error paths.
package.cpath = (arg[1] or "dist/lib") .. "/?.so;" .. package.cpath
local parley = require "parley"
local failures = 0
local function check(cond, what) if not cond then failures = failures + 1; io.stderr:write("FAIL ", what, "\n") end end

check(type(parley._VERSION) == "string" and parley._VERSION:match("^parley %d+%.%d+%.%d+$"), "_VERSION: " .. tostring(parley._VERSION))

local rt, err = parley.open { model = "/nonexistent/missing-model.gguf" }
check(rt == nil and type(err) == "string" and err:find("missing-model.gguf", 1, true), "missing model gives nil, message: " .. tostring(err))

local ok, e = pcall(parley.open, 42)
check(not ok and tostring(e):find("expected a table"), "bad argument raises: " .. tostring(e))

local ok3, e3 = pcall(parley.open, { threads = math.huge })
check(not ok3 and tostring(e3):find("threads must be an integer", 1, true), "threads = inf is a Lua error: " .. tostring(e3))
local many, why = parley.open { threads = 65 }
check(many == nil and tostring(why):find("0…64", 1, true), "threads = 65 gives nil, message: " .. tostring(why))

rt = assert(parley.open {})
check(rt:poll() == nil, "empty poll")
rt:release()
local ok2, e2 = pcall(rt.poll, rt)
check(not ok2 and tostring(e2):find("after release"), "use after release is a Lua error: " .. tostring(e2))
collectgarbage()

if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua smoke test: all checks passed (" .. parley._VERSION .. ")")

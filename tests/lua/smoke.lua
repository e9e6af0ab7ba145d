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

-- Remote and router options (tests/lua/remote.lua has the rest): a wrong type raises,
-- a value out of range gives nil, message; a valid remote needs no model.
local ok4, e4 = pcall(parley.open, { router = { threshold = "x" } })
check(not ok4 and tostring(e4):find("router.threshold must be a number", 1, true), "router.threshold = 'x': " .. tostring(e4))
local far, why_far = parley.open { remote = { url = "ftp://x" } }
check(far == nil and tostring(why_far):find("http://", 1, true), "remote.url ftp://x gives nil, message: " .. tostring(why_far))
local remote_rt = parley.open { remote = { url = "http://127.0.0.1:9/v1", model = "big" }, router = { threshold = 0.7 } }
check(remote_rt ~= nil, "a runtime with a remote model")
if remote_rt then remote_rt:release() end

rt = assert(parley.open {})
check(rt:poll() == nil, "empty poll")
local stats = rt:stats()
check(stats.npc_count == 0 and stats.remote_tokens == 0 and stats.remote_fallbacks == 0 and stats.last_turn.first_text_ms == nil,
      "stats of a fresh runtime")

-- Tools without a model: declaring, guards, rate limits and answers; misuse is nil, message
-- (what the runtime refuses) or a Lua error (a wrong argument type), never a crash.
local brom = assert(rt:npc { name = "Brom" })
local sell = { type = "object", required = { "item", "quantity" },
               properties = { item = { type = "string", enum = { "sword", "shield", "healing_potion" } },
                              quantity = { type = "integer", minimum = 1, maximum = 5 } } }
check(brom:add_tool("sell_item", "Sell the player an item.", sell) == true, "add_tool with a schema table")
check(brom:add_tool("wave", nil, '{"type":"object","properties":{}}') == true, "add_tool with JSON text, no description")
local function refused(what, needle, ok, msg)
  check(ok == nil and type(msg) == "string" and msg:find(needle, 1, true), what .. ": " .. tostring(ok) .. ", " .. tostring(msg))
end
local function raises(what, needle, f, ...)
  local ok, e = pcall(f, ...)
  check(not ok and tostring(e):find(needle, 1, true), what .. ": " .. tostring(e))
end
refused("bad schema JSON", "invalid JSON", brom:add_tool("sell_item", "x", '{"type":"object",'))
refused("schema not an object", "object schema", brom:add_tool("sell_item", "x", { type = "string" }))
refused("schema keyword", "unsupported keyword 'format'", brom:add_tool("sell_item", "x", { type = "object", format = "x" }))
refused("bad tool name", "tool name", brom:add_tool("sell item", "x", sell))
raises("add_tool without a name", "name must be a string", brom.add_tool, brom, nil, "x", sell)
raises("add_tool with a number schema", "parameters must be a JSON string or a table", brom.add_tool, brom, "t", "x", 42)
raises("add_tool schema with a function", "has no JSON form", brom.add_tool, brom, "t", "x", { type = "object", f = print })
raises("add_tool schema with holes", "holes", brom.add_tool, brom, "t", "x", { type = "object", required = { [1] = "a", [3] = "b" } })
raises("add_tool schema with NaN", "finite", brom.add_tool, brom, "t", "x", { type = "object", minimum = 0/0 })
local cyclic = { type = "object" }; cyclic.properties = { self = cyclic }
raises("add_tool cyclic schema", "deeper", brom.add_tool, brom, "t", "x", cyclic)

check(brom:set_tool_guard("sell_item", function(args) return true end) == true, "set_tool_guard")
check(brom:set_tool_guard("sell_item", nil) == true, "remove a guard")
refused("guard for an unknown tool", 'no tool "steal"', brom:set_tool_guard("steal", function() return true end))
raises("guard that is no function", "function or nil", brom.set_tool_guard, brom, "sell_item", 42)
raises("guard without a name", "name must be a string", brom.set_tool_guard, brom, 7, print)

check(brom:set_tool_rate_limit("sell_item", 3, 60) == true, "set_tool_rate_limit")
check(brom:set_tool_rate_limit("sell_item", 0, 60) == true, "remove a rate limit")
refused("rate limit for an unknown tool", "no tool", brom:set_tool_rate_limit("steal", 3, 60))
refused("rate limit out of range", "max calls", brom:set_tool_rate_limit("sell_item", 1001, 60))
refused("rate window NaN", "rate window", brom:set_tool_rate_limit("sell_item", 3, 0/0))
raises("rate limit not an integer", "max_calls must be an integer", brom.set_tool_rate_limit, brom, "sell_item", 1.5, 60)
raises("rate limit seconds not a number", "seconds must be a number", brom.set_tool_rate_limit, brom, "sell_item", 3, "soon")

refused("result for an unknown call", 'not waiting for tool call "1.1"', brom:tool_result("1.1", { ok = true }))
refused("JSON result for an unknown call", "not waiting", brom:tool_result("1.1", '{"ok":true}'))
refused("result too long", "16384", brom:tool_result("1.1", string.rep(" ", 16385)))
raises("result without a call id", "call_id must be a string", brom.tool_result, brom, nil, "{}")
raises("result of a wrong type", "result must be a JSON string or a table", brom.tool_result, brom, "1.1", true)
raises("result that is not UTF-8", "UTF-8", brom.tool_result, brom, "1.1", "\255")
brom:release()
raises("add_tool after release", "after release", brom.add_tool, brom, "t", "x", sell)
rt:release()
local ok2, e2 = pcall(rt.poll, rt)
check(not ok2 and tostring(e2):find("after release"), "use after release is a Lua error: " .. tostring(e2))
collectgarbage()

if failures > 0 then print(failures .. " check(s) failed"); os.exit(1) end
print("lua smoke test: all checks passed (" .. parley._VERSION .. ")")

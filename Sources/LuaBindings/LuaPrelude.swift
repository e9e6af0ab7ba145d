// The Lua half of `require "parley"`: what reads best in Lua (coroutine turns,
// callbacks, the per-frame pump, the tool shorthand), written over the Swift
// functions. Every call into a designer's function is protected here (pcall,
// coroutine.resume), so a script error never unwinds through a Swift frame.
import CLuaJIT

let luaPrelude = #"""
local parley, rt_methods, npc_methods, rt_mt, npc_mt = ...
local type, pairs, next, rawget, pcall, tostring, error, setmetatable =
      type, pairs, next, rawget, pcall, tostring, error, setmetatable
local co_running, co_yield, co_resume, co_status =
      coroutine.running, coroutine.yield, coroutine.resume, coroutine.status

-- The Swift functions this file wraps or hides.
local native = {
  npc = rt_methods.npc, load_npc = rt_methods.load_npc, poll = rt_methods.poll,
  script_error = rt_methods._script_error, embedded = rt_methods._embedded,
  say = npc_methods.say, release = npc_methods.release, id = npc_methods._id, name = npc_methods._name,
  cancel_turn = npc_methods._cancel_turn, add_tool = npc_methods.add_tool,
  set_tool_guard = npc_methods.set_tool_guard, set_tool_rate_limit = npc_methods.set_tool_rate_limit,
  tool_result = npc_methods.tool_result,
}
rt_methods._script_error, rt_methods._embedded = nil, nil
npc_methods._id, npc_methods._name, npc_methods._cancel_turn = nil, nil, nil

-- Per runtime: its NPCs by id (weak: a dropped NPC is collected), turns in flight by
-- id, and script errors not yet returned by rt:update.
local runtimes = setmetatable({}, { __mode = "k" })
-- Per NPC: its runtime, event callbacks and Lua tool functions.
local npc_state = setmetatable({}, { __mode = "k" })

local MAX_EVENTS_PER_UPDATE = 4096
local MAX_KEPT_ERRORS = 64
local EVENT_NAMES = { text = "text", audio = "audio", viseme = "viseme", tool_call = "tool",
                      route = "route", done = "done", error = "error" }
local CALLBACK_NAMES = { text = true, audio = true, viseme = true, tool = true, route = true, done = true, error = true }

local function state_of(rt)
  local st = runtimes[rt]
  if not st then
    st = { npcs = setmetatable({}, { __mode = "v" }), turns = {}, errors = {}, dropped = 0 }
    runtimes[rt] = st
  end
  return st
end

local function adopt(rt, npc)
  state_of(rt).npcs[native.id(npc)] = npc
  npc_state[npc] = { rt = rt, handlers = {}, tools = {} }
  return npc
end

-- The NPC's Lua state; raises (through the Swift check) for a released or foreign value.
local function live(npc)
  native.id(npc)
  local ns = npc_state[npc]
  if not ns then error("parley: this NPC was not made by rt:npc or rt:load_npc", 3) end
  return ns
end

local function describe(err)
  local ok, text = pcall(tostring, err)
  return ok and type(text) == "string" and text or "(an error value that cannot be printed)"
end

-- A script failure on an NPC's event: kept for rt:update's return, and (unless it
-- came from an error callback, which would loop) an ERROR event for the NPC.
local function script_failed(rt, st, ev, where, err, as_event)
  local message = where .. ": " .. describe(err)
  if #st.errors < MAX_KEPT_ERRORS then st.errors[#st.errors + 1] = message else st.dropped = st.dropped + 1 end
  if as_event then pcall(native.script_error, rt, ev.npc, ev.turn, message) end
end

local turn_methods = {}
local turn_mt = {
  __index = turn_methods,
  __tostring = function(t)
    return ("parley.turn %d (%s)"):format(t.id, t.done and (t.status or "done") or "running")
  end,
}
-- turn:cancel(): ends the turn early if it is still the NPC's current one.
function turn_methods.cancel(self)
  if type(self) ~= "table" or getmetatable(self) ~= turn_mt then error("turn:cancel: expected a turn", 2) end
  if not self.done then native.cancel_turn(self.npc, self.id) end
end

local function run_tool(rt, st, npc, ns, ev)
  local tool = ns.tools[ev.name]
  if not tool then return end -- a tool without a Lua function: the game answers it
  local ok, result = pcall(tool, ev.args or {}, npc, ev)
  if not ok then
    script_failed(rt, st, ev, "tool '" .. ev.name .. "'", result, true)
    result = { ok = false, error = "the game could not do that; nothing happened" }
  elseif result == nil then
    result = { ok = true }
  end
  local sent, why = pcall(native.tool_result, npc, ev.call_id, result)
  if not sent then
    script_failed(rt, st, ev, "tool '" .. ev.name .. "' result", why, true)
    pcall(native.tool_result, npc, ev.call_id, { ok = false, error = "the game could not do that; nothing happened" })
  end
end

local function dispatch(rt, st, ev)
  local turn = st.turns[ev.turn]
  if turn then
    if ev.type == "text" then
      turn.pieces[#turn.pieces + 1] = ev.text
      turn.text = table.concat(turn.pieces)
    elseif ev.type == "route" then
      turn.route = ev.text
    elseif ev.type == "error" then
      turn.errors[#turn.errors + 1] = ev.text
    elseif ev.type == "done" then
      turn.done, turn.status = true, ev.status
      st.turns[ev.turn] = nil
    end
  end
  local npc = st.npcs[ev.npc]
  local ns = npc and npc_state[npc]
  if ns then
    local name = EVENT_NAMES[ev.type]
    local callback = name and ns.handlers[name]
    if callback then
      local ok, err = pcall(callback, ev, npc)
      if not ok then script_failed(rt, st, ev, 'npc:on("' .. name .. '") callback', err, ev.type ~= "error") end
    end
    if ev.type == "tool_call" then run_tool(rt, st, npc, ns, ev) end
  end
  if turn and turn.done and turn.waiter then
    local co = turn.waiter
    turn.waiter = nil
    if co_status(co) == "suspended" then
      local ok, err = co_resume(co)
      if not ok then script_failed(rt, st, ev, "coroutine waiting on turn " .. ev.turn, err, true) end
    end
  end
end

local function take_errors(st)
  if #st.errors == 0 then return nil end
  local text = table.concat(st.errors, "\n")
  if st.dropped > 0 then text = text .. ("\n(and %d more)"):format(st.dropped) end
  st.errors, st.dropped = {}, 0
  return text
end

-- Takes and dispatches waiting events; a named function, so a frame makes no closure.
local function pump(rt, st)
  local handled = 0
  while handled < MAX_EVENTS_PER_UPDATE do
    local ev = native.poll(rt)
    if ev == nil then break end
    handled = handled + 1
    dispatch(rt, st, ev)
  end
  return handled
end

-- rt:update(dt) -> events handled | nil, messages of the script errors it met.
-- Takes every event waiting (at most MAX_EVENTS_PER_UPDATE, so a frame stays short),
-- runs callbacks and tool functions, and resumes coroutines whose turn finished.
function rt_methods.update(self, dt)
  if dt ~= nil and (type(dt) ~= "number" or dt ~= dt or dt < 0 or dt == math.huge) then
    error("rt:update: dt must be a finite number of seconds >= 0, got " .. describe(dt), 2)
  end
  if native.embedded(self) then return 0 end -- parley_poll dispatches this runtime's events
  local st = state_of(self)
  if st.updating then error("rt:update: called from inside a callback, tool or resumed coroutine", 2) end
  st.updating = true
  local ok, handled = pcall(pump, self, st)
  st.updating = false
  if not ok then error(handled, 2) end
  local errors = take_errors(st)
  if errors then return nil, errors end
  return handled
end

-- One event from parley_poll, for the runtime's own script (see LuaScript.swift).
function parley._dispatch(rt, ev)
  local st = state_of(rt)
  dispatch(rt, st, ev)
  return take_errors(st)
end

function rt_methods.npc(self, options)
  local npc, err = native.npc(self, options)
  if not npc then return nil, err end
  return adopt(self, npc)
end

function rt_methods.load_npc(self, bytes)
  local npc, err = native.load_npc(self, bytes)
  if not npc then return nil, err end
  return adopt(self, npc)
end

-- npc:say(text): inside a coroutine, waits for the reply (rt:update resumes it) and
-- returns reply_text, turn (or nil, message, turn when the turn failed or was cut
-- off); outside one, returns the turn handle at once.
function npc_methods.say(self, text)
  local ns = live(self)
  local id, err = native.say(self, text)
  if not id then return nil, err end
  local turn = setmetatable({ id = id, npc = self, text = "", pieces = {}, errors = {}, done = false }, turn_mt)
  state_of(ns.rt).turns[id] = turn
  ns.turn = turn
  local co, is_main = co_running()
  if co == nil or is_main then return turn end
  turn.waiter = co
  repeat co_yield() until turn.done
  if turn.status then
    return nil, turn.status .. (turn.errors[1] and (": " .. turn.errors[#turn.errors]) or ""), turn
  end
  return turn.text, turn
end

-- npc:on(event, fn): fn(event, npc) for "text", "audio", "viseme", "tool", "route",
-- "done" or "error" events of this NPC, run by rt:update; nil removes it.
function npc_methods.on(self, event, fn)
  local ns = live(self)
  if type(event) ~= "string" or not CALLBACK_NAMES[event] then
    error('npc:on: event must be "text", "audio", "viseme", "tool", "route", "done" or "error", got ' .. describe(event), 2)
  end
  if fn ~= nil and type(fn) ~= "function" then error("npc:on: the callback must be a function or nil", 2) end
  ns.handlers[event] = fn
  return self
end

-- The tool shorthand { item = { enum = { ... } }, n = { type = "integer", minimum = 1 } }
-- (or item = "string") as a JSON Schema object; a parameter is required unless it
-- says optional = true.
local function expand_shorthand(shorthand)
  local properties, required = {}, {}
  for name, spec in next, shorthand do
    if type(name) ~= "string" then error("npc:tool: shorthand parameter names must be strings", 3) end
    if type(spec) == "string" then spec = { type = spec } end
    if type(spec) ~= "table" then
      error("npc:tool: parameter '" .. name .. "' must be a type name or a table like { type = \"string\" }", 3)
    end
    local property = {}
    for key, value in next, spec do
      if key ~= "optional" then property[key] = value end
    end
    local enum = rawget(spec, "enum")
    if rawget(property, "type") == nil and type(enum) == "table" then
      local first = rawget(enum, 1)
      property.type = type(first) == "number" and (first % 1 == 0 and "integer" or "number")
                      or type(first) == "boolean" and "boolean" or "string"
    end
    properties[name] = property
    if not rawget(spec, "optional") then required[#required + 1] = name end
  end
  table.sort(required)
  local schema = { type = "object", properties = properties, additionalProperties = false }
  if #required > 0 then schema.required = required end
  return schema
end

local TOOL_OPTIONS = { guard = true, rate = true, description = true }

-- rate = calls per minute, or { calls = n, seconds = s }
local function rate_limit(rate)
  if rate == nil then return 0, 60 end
  if type(rate) == "number" then return rate, 60 end
  if type(rate) == "table" then
    local calls, seconds = rawget(rate, "calls"), rawget(rate, "seconds")
    if type(calls) == "number" and (seconds == nil or type(seconds) == "number") then return calls, seconds or 60 end
  end
  error("npc:tool: rate must be calls per minute or { calls = n, seconds = s }", 3)
end

-- npc:tool(name, schema, fn, { guard = fn, rate = ..., description = "..." }) -> true | nil, message
-- fn(args, npc, event) runs in rt:update when the NPC calls the tool (after the guard
-- allowed it); its return value (a table, string, number or boolean) is the result the
-- NPC hears. fn = nil: the game answers with npc:tool_result from an on("tool") callback.
-- guard(args, npc) -> true | false, reason: runs first; a refused call never reaches fn.
function npc_methods.tool(self, name, schema, fn, options)
  live(self)
  if type(name) ~= "string" then error("npc:tool: name must be a string", 2) end
  if fn ~= nil and type(fn) ~= "function" then error("npc:tool: fn must be a function or nil", 2) end
  if options ~= nil and type(options) ~= "table" then error("npc:tool: options must be a table", 2) end
  options = options or {}
  for key in next, options do
    if not TOOL_OPTIONS[key] then
      error("npc:tool: unknown option '" .. describe(key) .. "' (known: description, guard, rate)", 2)
    end
  end
  local guard, description = rawget(options, "guard"), rawget(options, "description")
  if guard ~= nil and type(guard) ~= "function" then error("npc:tool: guard must be a function", 2) end
  if description ~= nil and type(description) ~= "string" then error("npc:tool: description must be a string", 2) end
  local calls, seconds = rate_limit(rawget(options, "rate"))
  local parameters
  if type(schema) == "string" then
    parameters = schema
  elseif type(schema) == "table" then
    parameters = rawget(schema, "type") == "object" and schema or expand_shorthand(schema)
  elseif schema == nil then
    parameters = { type = "object", properties = {}, additionalProperties = false }
  else
    error("npc:tool: schema must be a table (JSON Schema or the shorthand) or JSON text", 2)
  end
  local ok, err = native.add_tool(self, name, description or "", parameters)
  if not ok then return nil, err end
  if guard then
    -- weak, so the guard kept in the registry does not keep the NPC alive
    local holder = setmetatable({ npc = self }, { __mode = "v" })
    ok, err = native.set_tool_guard(self, name, function(arguments)
      local args = parley.json_decode(arguments)
      return guard(type(args) == "table" and args or {}, holder.npc)
    end)
  else
    ok, err = native.set_tool_guard(self, name, nil)
  end
  if not ok then return nil, err end
  ok, err = native.set_tool_rate_limit(self, name, calls, seconds)
  if not ok then return nil, err end
  npc_state[self].tools[name] = fn
  return true
end

function npc_methods.release(self)
  local ok, id = pcall(native.id, self)
  local ns = npc_state[self]
  if ok and ns then
    local st = runtimes[ns.rt]
    if st then st.npcs[id] = nil end
  end
  npc_state[self] = nil
  return native.release(self)
end

-- npc.id, npc.name and npc.turn read the live NPC (a released one raises).
npc_mt.__index = function(self, key)
  local method = npc_methods[key]
  if method ~= nil then return method end
  if key == "id" then return native.id(self) end
  if key == "name" then return native.name(self) end
  if key == "turn" then -- the handle of the NPC's latest turn (set before a coroutine say waits)
    native.id(self)
    local ns = npc_state[self]
    return ns and ns.turn
  end
  return nil
end
npc_mt.__close = function(self) npc_methods.release(self) end
rt_mt.__close = function(self) rt_methods.release(self) end
"""#

/// Runs the prelude with the module and metatables; nil, or the error message
/// (a bug of this file, caught by every Lua test).
func runPrelude(_ L: OpaquePointer, module: Int32, runtimeMetatable rt: Int32, npcMetatable npc: Int32) -> String? {
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    let loaded = luaPrelude.withCString { luaL_loadbuffer(L, $0, luaPrelude.utf8.count, "=parley.lua") }
    guard loaded == 0 else { return parley_lua_tostring(L, -1).map { String(cString: $0) } ?? "prelude failed to load" }
    lua_pushvalue(L, module)
    lua_getfield(L, rt, "__index")
    lua_getfield(L, npc, "__index")
    lua_pushvalue(L, rt)
    lua_pushvalue(L, npc)
    guard lua_pcall(L, 5, 0, 0) == 0 else {
        return parley_lua_tostring(L, -1).map { String(cString: $0) } ?? "prelude failed"
    }
    return nil
}

// npc:add_tool / set_tool_guard / set_tool_rate_limit / tool_result: translation only.
// The checks live in NPCRuntime (ToolSpec, Runtime). Wrong argument types raise Lua
// errors (script bugs); what the runtime refuses comes back as nil, message.
import CLuaJIT
import NPCRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The registry table of Lua tool guards: [NPC (light userdata)] = { [tool] = function }.
let toolGuardsKey = "parley.tool_guards"

/// The Lua thread inside rt:poll on this OS thread (guards run there), or nil.
let pollingStateKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

func pollingState() -> OpaquePointer? {
    pthread_getspecific(pollingStateKey).map { OpaquePointer($0) }
}

/// Runs `body` with `L` as the polling Lua state of this thread.
func whilePolling<T>(_ L: OpaquePointer, _ body: () -> T) -> T {
    let previous = pthread_getspecific(pollingStateKey)
    pthread_setspecific(pollingStateKey, UnsafeRawPointer(L))
    defer { pthread_setspecific(pollingStateKey, previous) }
    return body()
}

/// The bytes of the string at `index` as UTF-8 text (embedded NULs kept); nil when not UTF-8.
func utf8String(_ L: OpaquePointer, _ index: Int32) -> String? {
    var length = 0
    guard let p = lua_tolstring(L, index, &length) else { return nil }
    return String(validating: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
}

/// A Lua value as JSON: tables with keys 1…n are arrays, tables with string keys objects
/// (members sorted by name; an empty table is an object), strings, finite numbers, booleans.
func jsonValue(_ L: OpaquePointer, _ index: Int32, depth: Int = 0) throws(LuaArgumentError) -> JSONValue {
    let index = index < 0 ? lua_gettop(L) + index + 1 : index
    switch lua_type(L, index) {
    case LUA_TBOOLEAN: return .bool(lua_toboolean(L, index) != 0)
    case LUA_TNUMBER:
        let n = lua_tonumber(L, index)
        guard n.isFinite else { throw LuaArgumentError(message: "JSON numbers must be finite, got \(n)") }
        return .number(n)
    case LUA_TSTRING:
        guard let s = utf8String(L, index) else { throw LuaArgumentError(message: "a string is not valid UTF-8") }
        return .string(s)
    case LUA_TTABLE:
        guard depth < JSONParser.maxDepth else { throw LuaArgumentError(message: "table nested deeper than \(JSONParser.maxDepth) levels (a cycle?)") }
        var members: [(String, JSONValue)] = []
        var items: [Int: JSONValue] = [:]
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            // key at -2, value at -1; the key is never converted in place (that would confuse lua_next)
            let value: JSONValue
            do throws(LuaArgumentError) { value = try jsonValue(L, -1, depth: depth + 1) } catch {
                parley_lua_pop(L, 2)
                throw error
            }
            switch lua_type(L, -2) {
            case LUA_TSTRING:
                guard let key = utf8String(L, -2) else { parley_lua_pop(L, 2); throw LuaArgumentError(message: "a key is not valid UTF-8") }
                members.append((key, value))
            case LUA_TNUMBER:
                guard let i = Int(exactly: lua_tonumber(L, -2)), i >= 1 else {
                    parley_lua_pop(L, 2)
                    throw LuaArgumentError(message: "table keys must be strings or integers 1…n")
                }
                items[i] = value
            default:
                parley_lua_pop(L, 2)
                throw LuaArgumentError(message: "table keys must be strings or integers 1…n")
            }
            parley_lua_pop(L, 1)
        }
        if items.isEmpty { return .object(members.sorted { $0.0 < $1.0 }) }
        guard members.isEmpty else { throw LuaArgumentError(message: "a table mixes array items and named fields") }
        guard items.count == items.keys.max() else { throw LuaArgumentError(message: "an array table has holes") }
        return .array((1...items.count).map { items[$0]! })
    case LUA_TNIL: return .null
    case LUA_TLIGHTUSERDATA where isJSONNull(L, index): return .null
    default:
        throw LuaArgumentError(message: "a \(String(cString: lua_typename(L, lua_type(L, index)))) has no JSON form")
    }
}

func isJSONNull(_ L: OpaquePointer, _ index: Int32) -> Bool {
    pushJSONNull(L)
    defer { parley_lua_pop(L, 1) }
    return lua_rawequal(L, index, -1) != 0
}

/// The JSON text of argument `index`: a string as it is, or a table converted.
func jsonArgument(_ L: OpaquePointer, _ index: Int32, _ what: String) throws(LuaArgumentError) -> String {
    switch lua_type(L, index) {
    case LUA_TSTRING:
        guard let s = utf8String(L, index) else { throw LuaArgumentError(message: "\(what) is not valid UTF-8") }
        return s
    case LUA_TTABLE:
        do throws(LuaArgumentError) { return try jsonValue(L, index).serialized } catch {
            throw LuaArgumentError(message: "\(what): " + error.message)
        }
    default:
        throw LuaArgumentError(message: "\(what) must be a JSON string or a table")
    }
}

func stringArgument(_ L: OpaquePointer, _ index: Int32, _ what: String) throws(LuaArgumentError) -> String {
    guard lua_type(L, index) == LUA_TSTRING else { throw LuaArgumentError(message: "\(what) must be a string") }
    guard let s = utf8String(L, index) else { throw LuaArgumentError(message: "\(what) is not valid UTF-8") }
    return s
}

func pushTrue(_ L: OpaquePointer) -> Int32 {
    lua_pushboolean(L, 1)
    return 1
}

/// npc:add_tool(name, description, parameters) -> true | nil, message
/// parameters: a JSON Schema of type object, as JSON text or a Lua table.
let luaAddTool: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    let name: String, description: String, parameters: String
    do throws(LuaArgumentError) {
        name = try stringArgument(L, 2, "name")
        description = lua_type(L, 3) == LUA_TNIL ? "" : try stringArgument(L, 3, "description")
        parameters = try jsonArgument(L, 4, "parameters")
    } catch {
        return raise(L, "npc:add_tool: " + error.message)
    }
    do {
        try runtime.addTool(npc, try ToolSpec(name: name, description: description, parametersJSON: parameters))
        return pushTrue(L)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
}

/// A Lua guard: the function stored under the NPC and tool in the registry, called on the
/// Lua thread that is inside rt:poll. Only keys are captured, never the lua_State.
struct LuaToolGuard: Sendable {
    let npcKey: UInt
    let tool: String

    func check(_ arguments: String) -> ToolGuardVerdict {
        guard let L = pollingState() else { return .refuse("the tool guard can only run inside rt:poll") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_getfield(L, parley_lua_registryindex(), toolGuardsKey)
        guard parley_lua_istable(L, -1) != 0 else { return .refuse("tool guard missing") }
        lua_pushlightuserdata(L, UnsafeMutableRawPointer(bitPattern: npcKey))
        lua_rawget(L, -2)
        guard parley_lua_istable(L, -1) != 0 else { return .refuse("tool guard missing") }
        lua_getfield(L, -1, tool)
        guard parley_lua_isfunction(L, -1) != 0 else { return .refuse("tool guard missing") }
        arguments.withCString { lua_pushstring(L, $0) }
        guard lua_pcall(L, 1, 2, 0) == 0 else {
            let message = lua_type(L, -1) == LUA_TSTRING ? utf8String(L, -1) ?? "(not UTF-8)" : "(a non-string error)"
            return .refuse("tool guard error: " + message)
        }
        if lua_toboolean(L, -2) != 0 { return .allow }
        let t = lua_type(L, -1)
        let reason = t == LUA_TSTRING || t == LUA_TNUMBER ? parley_lua_tostring(L, -1).map { String(cString: $0) } : nil
        return .refuse(reason.flatMap { $0.isEmpty ? nil : $0 } ?? "refused by the game")
    }
}

func npcKey(_ npc: NPC) -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(npc).toOpaque()
}

/// Pushes the guard table of `npc` (created when `create`), or nil.
func pushGuardTable(_ L: OpaquePointer, _ npc: NPC, create: Bool) {
    lua_getfield(L, parley_lua_registryindex(), toolGuardsKey)
    if parley_lua_istable(L, -1) == 0 {
        parley_lua_pop(L, 1)
        guard create else { lua_pushnil(L); return }
        parley_lua_newtable(L)
        lua_pushvalue(L, -1)
        lua_setfield(L, parley_lua_registryindex(), toolGuardsKey)
    }
    lua_pushlightuserdata(L, npcKey(npc))
    lua_rawget(L, -2)
    if parley_lua_istable(L, -1) == 0 && create {
        parley_lua_pop(L, 1)
        parley_lua_newtable(L)
        lua_pushlightuserdata(L, npcKey(npc))
        lua_pushvalue(L, -2)
        lua_rawset(L, -4)
    }
    lua_remove(L, -2)
}

/// Forgets the Lua guards of a released NPC.
func dropGuards(_ L: OpaquePointer, _ npc: NPC) {
    lua_getfield(L, parley_lua_registryindex(), toolGuardsKey)
    if parley_lua_istable(L, -1) != 0 {
        lua_pushlightuserdata(L, npcKey(npc))
        lua_pushnil(L)
        lua_rawset(L, -3)
    }
    parley_lua_pop(L, 1)
}

/// npc:set_tool_guard(name, function(args_json) return true | false, reason end) -> true | nil, message
/// nil instead of a function removes the guard. It runs inside rt:poll, on the Lua thread that
/// polls, on each call and on the calls the player's line asks for before the NPC acts
/// (parley.h, "Tools"); an error in it refuses the call with the error's message.
let luaSetToolGuard: parley_lua_impl = { L in
    guard let L else { return 0 }
    return setToolGuard(L)
}

func setToolGuard(_ L: OpaquePointer) -> Int32 {
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    let name: String
    do throws(LuaArgumentError) { name = try stringArgument(L, 2, "name") } catch {
        return raise(L, "npc:set_tool_guard: " + error.message)
    }
    let remove = lua_type(L, 3) == LUA_TNIL || lua_type(L, 3) == LUA_TNONE
    guard remove || parley_lua_isfunction(L, 3) != 0 else {
        return raise(L, "npc:set_tool_guard: the guard must be a function or nil")
    }
    let guardFunction = LuaToolGuard(npcKey: UInt(bitPattern: npcKey(npc)), tool: name)
    let check: ToolGuard? = remove ? nil : { @Sendable arguments in guardFunction.check(arguments) }
    do {
        try runtime.setToolGuard(npc, tool: name, check)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
    pushGuardTable(L, npc, create: true)
    lua_pushvalue(L, 3)
    if remove { parley_lua_pop(L, 1); lua_pushnil(L) }
    lua_setfield(L, -2, name)
    parley_lua_pop(L, 1)
    return pushTrue(L)
}

/// npc:set_tool_rate_limit(name, max_calls, seconds) -> true | nil, message (max_calls 0: no limit)
let luaSetToolRateLimit: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    let name: String
    let maxCalls: Int
    let seconds: Double
    do throws(LuaArgumentError) {
        name = try stringArgument(L, 2, "name")
        guard lua_type(L, 3) == LUA_TNUMBER, let n = Int(exactly: lua_tonumber(L, 3)) else {
            throw LuaArgumentError(message: "max_calls must be an integer")
        }
        guard lua_type(L, 4) == LUA_TNUMBER else { throw LuaArgumentError(message: "seconds must be a number") }
        maxCalls = n
        seconds = lua_tonumber(L, 4)
    } catch {
        return raise(L, "npc:set_tool_rate_limit: " + error.message)
    }
    do {
        try runtime.setToolRateLimit(npc, tool: name, maxCalls: maxCalls, seconds: seconds)
        return pushTrue(L)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
}

/// npc:tool_result(call_id, result) -> true | nil, message
/// result: the outcome as JSON text or a table (converted to JSON), e.g. { ok = true, gold = 40 }.
let luaToolResult: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    let callID: String, result: String
    do throws(LuaArgumentError) {
        callID = try stringArgument(L, 2, "call_id")
        result = try jsonArgument(L, 3, "result")
    } catch {
        return raise(L, "npc:tool_result: " + error.message)
    }
    do {
        try runtime.toolResult(npc, callID: callID, result: result)
        return pushTrue(L)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
}

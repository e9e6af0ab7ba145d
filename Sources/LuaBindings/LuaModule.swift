// `require "parley"`: the Lua-facing API. Translation only; the runtime does the work.
// Errors: bad arguments raise Lua errors; runtime failures return nil, message.
import CLuaJIT
import NPCRuntime

let runtimeMetatable = "parley.runtime"
let moduleVersion = "parley 0.1.0"

/// Userdata payload: a retained Runtime, or nil once released.
struct RuntimeBox { var runtime: Unmanaged<Runtime>? }

/// Pushes an error message and returns -1 so the C trampoline raises it.
func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
    lua_pushstring(L, message)
    return -1
}

/// nil, message: the lua-cjson "safe" convention for runtime failures.
func nilAndMessage(_ L: OpaquePointer, _ message: String) -> Int32 {
    lua_pushnil(L)
    lua_pushstring(L, message)
    return 2
}

func optionalStringField(_ L: OpaquePointer, _ table: Int32, _ key: String) -> String? {
    lua_getfield(L, table, key)
    defer { parley_lua_pop(L, 1) }
    guard lua_type(L, -1) == LUA_TSTRING, let s = parley_lua_tostring(L, -1) else { return nil }
    return String(cString: s)
}

func runtimeBox(_ L: OpaquePointer, _ index: Int32) -> UnsafeMutablePointer<RuntimeBox>? {
    // testudata, not checkudata: a type error must not longjmp through this Swift frame.
    guard let raw = luaL_testudata(L, index, runtimeMetatable) else { return nil }
    return raw.assumingMemoryBound(to: RuntimeBox.self)
}

/// parley.open{ model = "...", voice = "...", threads = n } -> runtime | nil, message
let luaOpen: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard parley_lua_istable(L, 1) != 0 else { return raise(L, "parley.open: expected a table of options") }
    var config = RuntimeConfig(modelPath: optionalStringField(L, 1, "model"),
                               voicePath: optionalStringField(L, 1, "voice"))
    lua_getfield(L, 1, "threads")
    if lua_isnumber(L, -1) != 0 { config.threads = max(0, Int(lua_tointeger(L, -1))) }
    parley_lua_pop(L, 1)
    let runtime: Runtime
    do {
        runtime = try Runtime(config: config)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
    guard let raw = lua_newuserdata(L, MemoryLayout<RuntimeBox>.size) else { return raise(L, "parley.open: out of memory") }
    raw.bindMemory(to: RuntimeBox.self, capacity: 1).initialize(to: RuntimeBox(runtime: .passRetained(runtime)))
    parley_luaL_getmetatable(L, runtimeMetatable)
    lua_setmetatable(L, -2)
    return 1
}

/// runtime:release() (also __gc): frees the runtime; later use is a Lua error.
let luaRelease: parley_lua_impl = { L in
    guard let L, let box = runtimeBox(L, 1) else { return 0 }
    box.pointee.runtime?.release()
    box.pointee.runtime = nil
    return 0
}

/// runtime:poll() -> event table | nil
let luaPoll: parley_lua_impl = { L in
    guard let L, let box = runtimeBox(L, 1) else { return 0 }
    guard let runtime = box.pointee.runtime?.takeUnretainedValue() else {
        return raise(L, "parley: runtime used after release")
    }
    guard let event = runtime.events.poll() else { lua_pushnil(L); return 1 }
    parley_lua_newtable(L)
    let kinds = [1: "text", 2: "audio", 3: "viseme", 4: "tool_call", 5: "route", 6: "done", 7: "error"]
    lua_pushstring(L, kinds[Int(event.kind.rawValue)] ?? "unknown")
    lua_setfield(L, -2, "type")
    lua_pushnumber(L, Double(event.npcID)); lua_setfield(L, -2, "npc")
    lua_pushnumber(L, Double(event.turnID)); lua_setfield(L, -2, "turn")
    if let text = event.text { lua_pushstring(L, text); lua_setfield(L, -2, "text") }
    if let name = event.name { lua_pushstring(L, name); lua_setfield(L, -2, "name") }
    lua_pushnumber(L, event.timeMs); lua_setfield(L, -2, "t_ms")
    return 1
}

let luaToString: parley_lua_impl = { L in
    guard let L, let box = runtimeBox(L, 1) else { return 0 }
    lua_pushstring(L, box.pointee.runtime == nil ? "parley.runtime (released)" : "parley.runtime")
    return 1
}

func setFunction(_ L: OpaquePointer, _ name: String, _ impl: parley_lua_impl) {
    parley_lua_pushimpl(L, impl)
    lua_setfield(L, -2, name)
}

@_cdecl("luaopen_parley")
public func luaopen_parley(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    if luaL_newmetatable(L, runtimeMetatable) != 0 {
        parley_lua_newtable(L)  // methods
        setFunction(L, "poll", luaPoll)
        setFunction(L, "release", luaRelease)
        lua_setfield(L, -2, "__index")
        setFunction(L, "__gc", luaRelease)
        setFunction(L, "__tostring", luaToString)
    }
    parley_lua_pop(L, 1)

    parley_lua_newtable(L)
    setFunction(L, "open", luaOpen)
    lua_pushstring(L, moduleVersion)
    lua_setfield(L, -2, "_VERSION")
    return 1
}

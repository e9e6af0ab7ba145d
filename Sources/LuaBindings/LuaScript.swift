// The runtime's own LuaJIT state (parley_runtime_load_script): for a game that
// hands Parley a designer's script instead of embedding Lua itself.
import CLuaJIT
import NPCRuntime
#if canImport(Glibc)
import Glibc
#endif

/// One LuaJIT state per runtime, made on the first script. In it `parley` is the
/// module and `rt` the runtime (as `parley.open` would return, without its own
/// model). Each parley_poll first runs the global `update(dt)` (once per drain of
/// the queue: on the first poll after one that found no event), then hands every
/// event to the script (its NPCs' callbacks and Lua tools) before the game sees it.
/// Not thread-safe: the polling thread only.
public final class EmbeddedScript {
    private let L: OpaquePointer
    private let runtime: Runtime
    private var lastUpdateMs: Double?
    private var queueDrained = true

    public init(runtime: Runtime) throws(RuntimeError) {
        guard let L = luaL_newstate() else { throw RuntimeError(.outOfMemory, "cannot create a Lua state") }
        self.L = L
        self.runtime = runtime
        openLibrariesWithParley(L)
        parley_lua_setglobal(L, "parley")
        guard let raw = lua_newuserdata(L, MemoryLayout<RuntimeBox>.size) else {
            lua_close(L)
            throw RuntimeError(.outOfMemory, "cannot create the script's runtime")
        }
        raw.bindMemory(to: RuntimeBox.self, capacity: 1)
            .initialize(to: RuntimeBox(runtime: .passRetained(runtime), embedded: true))
        parley_luaL_getmetatable(L, runtimeMetatable)
        lua_setmetatable(L, -2)
        lua_pushvalue(L, -1)
        lua_setfield(L, parley_lua_registryindex(), scriptRuntimeKey)  // dispatch needs it even if the script reassigns `rt`
        parley_lua_setglobal(L, "rt")
    }

    deinit { lua_close(L) }

    /// Runs a script file in the state (several files share it; the last `update` wins).
    public func run(path: String) throws(RuntimeError) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let loaded = luaL_loadfile(L, path)
        guard loaded == 0 else {
            let message = errorText(-1)
            throw RuntimeError(loaded == luaFileError ? .fileNotFound : .script, message)
        }
        guard lua_pcall(L, 0, 0, 0) == 0 else { throw RuntimeError(.script, "\(path): " + errorText(-1)) }
    }

    /// The next event for the game, after the script has seen it; runs `update(dt)`
    /// first when the previous poll drained the queue.
    public func poll() -> RuntimeEvent? {
        if queueDrained { runUpdate() }
        let event = whilePolling(L) { runtime.poll() }
        queueDrained = event == nil
        if let event { dispatch(event) }
        return event
    }

    private func runUpdate() {
        let now = runtime.events.now()
        let dt = lastUpdateMs.map { max(0, now - $0) / 1000 } ?? 0
        lastUpdateMs = now
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        parley_lua_getglobal(L, "update")
        guard parley_lua_isfunction(L, -1) != 0 else { return }
        lua_pushnumber(L, dt)
        if whilePolling(L, { lua_pcall(L, 1, 0, 0) }) != 0 {
            runtime.reportScriptError(npcID: 0, turnID: 0, "update: " + errorText(-1))
        }
    }

    private func dispatch(_ event: RuntimeEvent) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_checkstack(L, 8) != 0 else { return }
        lua_getfield(L, parley_lua_registryindex(), moduleKey)
        lua_getfield(L, -1, "_dispatch")
        lua_getfield(L, parley_lua_registryindex(), scriptRuntimeKey)
        pushEvent(L, event)
        // Failures of tools and callbacks came out as ERROR events already, except
        // those of "error" callbacks (an event for them could loop): all go to stderr.
        guard whilePolling(L, { lua_pcall(L, 2, 1, 0) }) == 0 else {
            if event.kind != .error { runtime.reportScriptError(npcID: event.npcID, turnID: event.turnID, "dispatch: " + errorText(-1)) }
            return
        }
        if lua_type(L, -1) == LUA_TSTRING {
            let line = Array(("parley script: " + errorText(-1) + "\n").utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    private func errorText(_ index: Int32) -> String {
        lua_type(L, index) == LUA_TSTRING ? utf8String(L, index) ?? "(not UTF-8)" : "(a non-string error)"
    }
}

private let scriptRuntimeKey = "parley.script_rt"

/// LUA_ERRFILE: the script file could not be opened or read.
private let luaFileError: Int32 = 6

/// A fresh state's standard libraries plus this module, registered as loaded so
/// `require "parley"` finds it without package.cpath; leaves the module on the stack.
func openLibrariesWithParley(_ L: OpaquePointer) {
    luaL_openlibs(L)
    _ = luaopen_parley(L)
    lua_getfield(L, parley_lua_registryindex(), "_LOADED")
    lua_pushvalue(L, -2)
    lua_setfield(L, -2, "parley")
    parley_lua_pop(L, 1)
}

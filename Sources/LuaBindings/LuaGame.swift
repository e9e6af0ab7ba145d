// A designer's game run from Swift: a fresh LuaJIT state with `require "parley"`
// available, a main script that returns the game table, and protected method calls
// on it. For hosts such as `parley play`; the game opens its own runtime.
import CLuaJIT
import NPCRuntime

public final class LuaGame {
    private let L: OpaquePointer
    /// Registry references to the game table and to the method-calling helper.
    private var gameRef: Int32 = 0
    private var callRef: Int32 = 0
    /// Nested tables deeper than this are cut (a cycle must not recurse forever).
    private static let maxDepth = 32

    /// Runs `path` with `options` as its argument (`local options = ...`); it must return a table.
    public init(mainScript path: String, options: [String: LuaValue]) throws(RuntimeError) {
        guard let L = luaL_newstate() else { throw RuntimeError(.outOfMemory, "cannot create a Lua state") }
        // every stored property is set from here on, so a throw below runs deinit (lua_close)
        self.L = L
        openLibrariesWithParley(L)
        lua_settop(L, 0)
        // Method lookup and the call happen in Lua, inside lua_pcall: a game whose
        // __index raises cannot unwind through a Swift frame.
        let helper = "local game, method = ...; local f = game[method]; "
            + "if type(f) ~= 'function' then error('the game has no method ' .. method, 0) end; "
            + "return f(game, select(3, ...))"
        guard helper.withCString({ luaL_loadbuffer(L, $0, helper.utf8.count, "=parley.play") }) == 0 else {
            let message = errorText()
            throw RuntimeError(.script, message)
        }
        callRef = luaL_ref(L, parley_lua_registryindex())
        let loaded = luaL_loadfile(L, path)
        guard loaded == 0 else {
            let message = errorText()
            throw RuntimeError(loaded == luaFileError ? .fileNotFound : .script, message)
        }
        push(.table(array: [], fields: options), depth: 0)
        guard lua_pcall(L, 1, 1, 0) == 0 else {
            let message = errorText()
            throw RuntimeError(.script, message)
        }
        guard parley_lua_istable(L, -1) != 0 else {
            throw RuntimeError(.script, "\(path) must return the game (a table)")
        }
        gameRef = luaL_ref(L, parley_lua_registryindex())
    }

    deinit { lua_close(L) }

    /// game:method(args...) under lua_pcall; its first result, copied out.
    @discardableResult
    public func call(_ method: String, _ args: [LuaValue] = []) throws(RuntimeError) -> LuaValue {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_checkstack(L, Int32(args.count) + 8) != 0 else { throw RuntimeError(.outOfMemory, "Lua stack") }
        lua_rawgeti(L, parley_lua_registryindex(), callRef)
        lua_rawgeti(L, parley_lua_registryindex(), gameRef)
        pushString(L, method)
        for a in args { push(a, depth: 0) }
        guard lua_pcall(L, Int32(args.count) + 2, 1, 0) == 0 else {
            throw RuntimeError(.script, "game:\(method): " + errorText())
        }
        return value(at: lua_gettop(L), depth: 0)
    }

    private func errorText() -> String {
        lua_type(L, -1) == LUA_TSTRING ? utf8String(L, -1) ?? "(not UTF-8)" : "(a non-string error)"
    }

    private func push(_ v: LuaValue, depth: Int) {
        switch v {
        case .none: lua_pushnil(L)
        case let .bool(b): lua_pushboolean(L, b ? 1 : 0)
        case let .number(d): lua_pushnumber(L, d)
        case let .string(bytes):
            bytes.withUnsafeBytes { lua_pushlstring(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        case let .table(array, fields):
            lua_checkstack(L, 4)
            lua_createtable(L, Int32(clamping: array.count), Int32(clamping: fields.count))
            guard depth < Self.maxDepth else { return }
            for (i, item) in array.enumerated() {
                push(item, depth: depth + 1)
                lua_rawseti(L, -2, Int32(clamping: i + 1))
            }
            for (key, item) in fields {
                pushString(L, key)
                push(item, depth: depth + 1)
                lua_rawset(L, -3)
            }
        }
    }

    /// Copies the value at an absolute index (tables raw: no metamethods run).
    private func value(at index: Int32, depth: Int) -> LuaValue {
        switch lua_type(L, index) {
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER: return .number(lua_tonumber(L, index))
        case LUA_TSTRING:
            var length = 0
            guard let p = lua_tolstring(L, index, &length) else { return .none }
            return .string(Array(UnsafeRawBufferPointer(start: p, count: length)))
        case LUA_TTABLE:
            guard depth < Self.maxDepth, lua_checkstack(L, 4) != 0 else { return .table(array: [], fields: [:]) }
            var numbered: [Int: LuaValue] = [:]
            var fields: [String: LuaValue] = [:]
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                let item = value(at: lua_gettop(L), depth: depth + 1)
                // the key is read without converting it: lua_next needs it intact
                switch lua_type(L, -2) {
                case LUA_TSTRING:
                    if let key = utf8String(L, -2) { fields[key] = item }
                case LUA_TNUMBER:
                    let d = lua_tonumber(L, -2)
                    if let n = Int(exactly: d), n >= 1 { numbered[n] = item }
                default:
                    break
                }
                parley_lua_pop(L, 1)
            }
            var array: [LuaValue] = []
            var n = 1
            while let item = numbered[n] { array.append(item); n += 1 }
            return .table(array: array, fields: fields)
        default:
            return .none
        }
    }
}

/// LUA_ERRFILE: the script file could not be opened or read.
private let luaFileError: Int32 = 6

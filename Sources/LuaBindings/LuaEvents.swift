// Runtime events and JSON values as Lua tables: translation only.
import CLuaJIT
import NPCRuntime

/// The registry key of `parley.null`, the light userdata that stands for JSON null
/// inside tables (Lua's nil would leave a hole), as in lua-cjson.
let jsonNullKey = "parley.null"

func pushJSONNull(_ L: OpaquePointer) {
    lua_getfield(L, parley_lua_registryindex(), jsonNullKey)
}

/// Pushes a JSON value as Lua: objects and arrays as tables, null as `parley.null`.
/// Depth is bounded by JSONParser.maxDepth; the stack is grown per level.
func pushJSON(_ L: OpaquePointer, _ value: JSONValue) {
    guard lua_checkstack(L, 3) != 0 else { lua_pushnil(L); return }
    switch value {
    case .null: pushJSONNull(L)
    case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
    case .number(let n): lua_pushnumber(L, n)
    case .string(let s): pushString(L, s)
    case .array(let items):
        lua_createtable(L, Int32(clamping: items.count), 0)
        for (i, item) in items.enumerated() {
            pushJSON(L, item)
            lua_rawseti(L, -2, Int32(clamping: i + 1))
        }
    case .object(let members):
        lua_createtable(L, 0, Int32(clamping: members.count))
        for (key, item) in members {
            pushString(L, key)
            pushJSON(L, item)
            lua_rawset(L, -3)
        }
    }
}

/// Pushes the bytes of `s` (embedded NULs kept).
func pushString(_ L: OpaquePointer, _ s: String) {
    var s = s
    s.withUTF8 { lua_pushlstring(L, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
}

/// An event as the table `rt:poll()` returns:
///   { type, npc, turn, t_ms, text?, name?, status?, call_id?, arguments?, args?,
///     pcm?, samples?, sample_rate?, start_sample?, end_sample? }
/// tool_call: `arguments` is the JSON text, `args` the same decoded into a table.
/// A rejected call (error, status "toolRejected"): `arguments` as the model wrote them.
func pushEvent(_ L: OpaquePointer, _ event: RuntimeEvent) {
    lua_createtable(L, 0, 8)
    lua_pushstring(L, event.kind.name); lua_setfield(L, -2, "type")
    lua_pushnumber(L, Double(event.npcID)); lua_setfield(L, -2, "npc")
    lua_pushnumber(L, Double(event.turnID)); lua_setfield(L, -2, "turn")
    if let text = event.text { pushString(L, text); lua_setfield(L, -2, "text") }
    if let name = event.name { pushString(L, name); lua_setfield(L, -2, "name") }
    if !event.samples.isEmpty {
        // float32 little-endian PCM as a string: cheap to hand to LÖVE's SoundData or ffi.
        event.samples.withUnsafeBytes { raw in
            lua_pushlstring(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        lua_setfield(L, -2, "pcm")
        lua_pushnumber(L, Double(event.samples.count)); lua_setfield(L, -2, "samples")
        lua_pushnumber(L, Double(event.sampleRate)); lua_setfield(L, -2, "sample_rate")
    }
    if event.kind == .audio || event.kind == .viseme {
        // where the chunk or mouth shape sits in the turn's speech, for lip sync
        lua_pushnumber(L, Double(event.startSample)); lua_setfield(L, -2, "start_sample")
        lua_pushnumber(L, Double(event.endSample)); lua_setfield(L, -2, "end_sample")
        if event.samples.isEmpty && event.sampleRate > 0 {
            lua_pushnumber(L, Double(event.sampleRate)); lua_setfield(L, -2, "sample_rate")
        }
    }
    if let kind = event.errorKind { lua_pushstring(L, "\(kind)"); lua_setfield(L, -2, "status") }
    if let id = event.callID { pushString(L, id); lua_setfield(L, -2, "call_id") }
    if let arguments = event.kind == .toolCall ? event.text : event.toolArguments {
        pushString(L, arguments); lua_setfield(L, -2, "arguments")
        // the runtime checked a call's arguments against its schema, so they parse
        if event.kind == .toolCall, let value = try? JSONParser.parse(arguments) {
            pushJSON(L, value); lua_setfield(L, -2, "args")
        }
    }
    lua_pushnumber(L, event.timeMs); lua_setfield(L, -2, "t_ms")
}

/// parley.json_decode(text) -> value | nil, message (JSON null is parley.null)
let luaJSONDecode: parley_lua_impl = { L in
    guard let L else { return 0 }
    var length = 0
    guard lua_type(L, 1) == LUA_TSTRING, let p = lua_tolstring(L, 1, &length) else {
        return raise(L, "parley.json_decode: expected a string")
    }
    guard length <= maxJSONTextBytes else { return nilAndMessage(L, "parley.json_decode: text longer than \(maxJSONTextBytes) bytes") }
    let bytes = Array(UnsafeRawBufferPointer(start: p, count: length))
    do throws(JSONError) {
        pushJSON(L, try JSONParser.parse(bytes))
        return 1
    } catch {
        return nilAndMessage(L, "parley.json_decode: " + error.message)
    }
}

/// parley.json_encode(value) -> text; a value with no JSON form (a function, NaN, a
/// table with holes or mixed keys) raises.
let luaJSONEncode: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard lua_type(L, 1) != LUA_TNONE else { return raise(L, "parley.json_encode: expected a value") }
    do throws(LuaArgumentError) {
        pushString(L, try jsonValue(L, 1).serialized)
        return 1
    } catch {
        return raise(L, "parley.json_encode: " + error.message)
    }
}

/// Larger texts are refused before parsing (a tool result or save is far smaller).
let maxJSONTextBytes = 4 << 20

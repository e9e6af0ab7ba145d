// rt:audio{…}, rt:audio_close(), rt:listener{…}, npc:set_velocity(x, y, z), npc:is_speaking():
// positioned playback from Lua. Translation only; the runtime feeds the output in rt:poll()/rt:update().
import CLuaJIT
import NPCRuntime

/// `{x, y, z}` of finite numbers at `key`; nil when absent, a Lua error for anything else.
func vectorField(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> SIMD3<Float>? {
    rawField(L, table, key)
    defer { parley_lua_pop(L, 1) }
    if lua_type(L, -1) == LUA_TNIL { return nil }
    var p: [Float] = []
    if parley_lua_istable(L, -1) != 0 {
        for i: Int32 in 1...3 {
            lua_rawgeti(L, -1, i)
            if lua_type(L, -1) == LUA_TNUMBER, case let x = lua_tonumber(L, -1), x.isFinite,
               abs(x) <= Double(Float.greatestFiniteMagnitude) { p.append(Float(x)) }
            parley_lua_pop(L, 1)
        }
    }
    guard p.count == 3 else { throw LuaArgumentError(message: "\(key) must be {x, y, z} of finite numbers") }
    return SIMD3(p[0], p[1], p[2])
}

/// rt:audio{ device =, distance_model =, reference_distance =, rolloff =, max_distance =, gain = }
///   -> true | nil, message (no device: the runtime goes on without playback)
let luaAudioOpen: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
    let t: Int32 = 2
    var c = AudioOutputConfig()
    if lua_type(L, t) != LUA_TNIL && lua_type(L, t) != LUA_TNONE {
        guard parley_lua_istable(L, t) != 0 else { return raise(L, "rt:audio: expected a table of options or nothing") }
        do throws(LuaArgumentError) {
            try checkOptionNames(L, t, ["device", "distance_model", "reference_distance", "rolloff", "max_distance", "gain"])
            if let name = try stringField(L, t, "device") { c.device = .named(name) }
            if let model = try stringField(L, t, "distance_model") {
                guard let m = DistanceModel(rawValue: model) else {
                    let known = DistanceModel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw LuaArgumentError(message: "distance_model must be one of \(known), got \"\(model.prefix(64))\"")
                }
                c.distanceModel = m
            }
            if let x = try floatField(L, t, "reference_distance") { c.referenceDistance = x }
            if let x = try floatField(L, t, "rolloff") { c.rolloff = x }
            if let x = try floatField(L, t, "max_distance") { c.maxDistance = x }
            if let x = try floatField(L, t, "gain") { c.gain = x }
        } catch {
            return raise(L, "rt:audio: " + error.message)
        }
    }
    do throws(RuntimeError) {
        try runtime.openAudio(c)
    } catch {
        return nilAndMessage(L, "rt:audio: " + error.message)
    }
    lua_pushboolean(L, 1)
    return 1
}

/// rt:audio_close(): stops playback (AUDIO events keep flowing).
let luaAudioClose: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
    runtime.closeAudio()
    return 0
}

/// rt:listener{ position = {x,y,z}, velocity = {…}, at = {…}, up = {…} }: fields left out keep their values.
let luaListener: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
    guard parley_lua_istable(L, 2) != 0 else { return raise(L, "rt:listener: expected a table { position =, velocity =, at =, up = }") }
    var l = runtime.listener
    do throws(LuaArgumentError) {
        try checkOptionNames(L, 2, ["position", "velocity", "at", "up"])
        if let v = try vectorField(L, 2, "position") { l.position = v }
        if let v = try vectorField(L, 2, "velocity") { l.velocity = v }
        if let v = try vectorField(L, 2, "at") { l.at = v }
        if let v = try vectorField(L, 2, "up") { l.up = v }
    } catch {
        return raise(L, "rt:listener: " + error.message)
    }
    do throws(RuntimeError) { try runtime.setListener(l) } catch { return raise(L, "rt:listener: " + error.message) }
    return 0
}

/// npc:set_velocity(x, y, z): units per second, for Doppler shift; finite numbers, else a Lua error.
let luaSetVelocity: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    var v: [Float] = []
    for i: Int32 in 2...4 {
        guard lua_type(L, i) == LUA_TNUMBER, case let x = lua_tonumber(L, i), x.isFinite, abs(x) <= Double(Float.greatestFiniteMagnitude) else {
            return raise(L, "npc:set_velocity: x, y and z must be finite numbers")
        }
        v.append(Float(x))
    }
    do throws(RuntimeError) { try runtime.setVelocity(npc, x: v[0], y: v[1], z: v[2]) } catch { return raise(L, "npc:set_velocity: " + error.message) }
    return 0
}

/// npc:is_speaking() -> true while its speech still plays through rt:audio's output.
let luaIsSpeaking: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    lua_pushboolean(L, runtime.isSpeaking(npc) ? 1 : 0)
    return 1
}

// `require "parley"`: the Lua-facing API. Translation only; the runtime does the work.
// Errors: bad arguments raise Lua errors; runtime failures return nil, message.
import CLuaJIT
import Kernels
import ComputeRouter
import NPCRuntime

let runtimeMetatable = "parley.runtime"
let npcMetatable = "parley.npc"
let moduleVersion = "parley 0.3.0"

/// Userdata payload: a retained Runtime, or nil once released.
struct RuntimeBox { var runtime: Unmanaged<Runtime>? }

/// Userdata payload of an NPC: the NPC and its runtime (kept alive while the NPC is).
struct NPCBox {
    var npc: Unmanaged<NPC>?
    var runtime: Unmanaged<Runtime>?
}

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

/// parley.open{ model = "...", voice = "...", threads = n, ctx = n, seed = n,
///              remote = URL or { url =, model =, api_key =, first_byte_timeout_ms =, max_retries = },
///              router = { threshold =, token_budget =, tokens_per_minute =, latency_budget_ms = } }
///   -> runtime | nil, message
let luaOpen: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard parley_lua_istable(L, 1) != 0 else { return raise(L, "parley.open: expected a table of options") }
    guard pk_engines_supported() == 1 else { return nilAndMessage(L, "parley.open: " + String(cString: pk_engines_requirement())) }
    var config = RuntimeConfig()
    let remote: RemoteConfig?
    let router: RouterConfig
    do throws(LuaArgumentError) {
        try checkOptionNames(L, 1, ["model", "voice", "threads", "ctx", "seed", "remote", "router"])
        config.modelPath = try stringField(L, 1, "model")
        config.voicePath = try stringField(L, 1, "voice")
        if let n = try integerField(L, 1, "threads") { config.threads = n }
        if let n = try integerField(L, 1, "ctx") { config.contextLength = n }
        if let d = try numberField(L, 1, "seed") {
            guard let seed = UInt64(exactly: d) else { throw LuaArgumentError(message: "seed must be an integer in 0…2^64-1, got \(d)") }
            config.seed = seed
        }
        remote = try remoteConfig(L, 1)
        router = try routerConfig(L, 1) ?? RouterConfig()
    } catch {
        return raise(L, "parley.open: " + error.message)
    }
    let runtime: Runtime
    do {
        try config.validate()
        let setup = try RouterSetup(remote: remote, router: router, seed: config.seed)
        runtime = try Runtime(config: config, router: setup.router, remote: setup.remote)
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
    // Tool guards (Lua functions) run inside runtime.poll() on this Lua thread; a guard that
    // polls again would take events out of order, so that is an error (its guard then refuses).
    guard pollingState() == nil else { return raise(L, "rt:poll: called from inside a tool guard") }
    guard let event = whilePolling(L, { runtime.poll() }) else { lua_pushnil(L); return 1 }
    parley_lua_newtable(L)
    lua_pushstring(L, event.kind.name)
    lua_setfield(L, -2, "type")
    lua_pushnumber(L, Double(event.npcID)); lua_setfield(L, -2, "npc")
    lua_pushnumber(L, Double(event.turnID)); lua_setfield(L, -2, "turn")
    if let text = event.text { lua_pushstring(L, text); lua_setfield(L, -2, "text") }
    if let name = event.name { lua_pushstring(L, name); lua_setfield(L, -2, "name") }
    if !event.samples.isEmpty {
        // float32 little-endian PCM as a string: cheap to hand to LÖVE's SoundData or ffi.
        event.samples.withUnsafeBytes { raw in
            lua_pushlstring(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        lua_setfield(L, -2, "pcm")
        lua_pushnumber(L, Double(event.samples.count)); lua_setfield(L, -2, "samples")
        lua_pushnumber(L, Double(event.sampleRate)); lua_setfield(L, -2, "sample_rate")
    }
    if let kind = event.errorKind { lua_pushstring(L, "\(kind)"); lua_setfield(L, -2, "status") }
    // tool_call: call_id (for npc:tool_result) and arguments (= text); a rejected call
    // (error, status "toolRejected"): arguments as the model wrote them, text the reason.
    if let id = event.callID { lua_pushstring(L, id); lua_setfield(L, -2, "call_id") }
    if let arguments = event.kind == .toolCall ? event.text : event.toolArguments {
        lua_pushstring(L, arguments); lua_setfield(L, -2, "arguments")
    }
    lua_pushnumber(L, event.timeMs); lua_setfield(L, -2, "t_ms")
    return 1
}

/// runtime:stats() -> { npc_count, turns_completed, tokens_prefilled, tokens_generated,
///                      remote_tokens, remote_fallbacks, last_turn = { turn, prompt_tokens, prefilled_tokens,
///                      generated_tokens, remote_tokens, prefill_ms, generate_ms, first_text_ms?, first_audio_ms? } }
let luaStats: parley_lua_impl = { L in
    guard let L, let box = runtimeBox(L, 1) else { return 0 }
    guard let runtime = box.pointee.runtime?.takeUnretainedValue() else {
        return raise(L, "parley: runtime used after release")
    }
    let s = runtime.stats()
    func set(_ key: String, _ value: Double) { lua_pushnumber(L, value); lua_setfield(L, -2, key) }
    parley_lua_newtable(L)
    set("npc_count", Double(s.npcCount))
    set("turns_completed", Double(s.turnsCompleted))
    set("tokens_prefilled", Double(s.tokensPrefilled))
    set("tokens_generated", Double(s.tokensGenerated))
    set("remote_tokens", Double(s.remoteTokens))
    set("remote_fallbacks", Double(s.remoteFallbacks))
    parley_lua_newtable(L)
    set("turn", Double(s.lastTurn.turnID))
    set("prompt_tokens", Double(s.lastTurn.promptTokens))
    set("prefilled_tokens", Double(s.lastTurn.prefilledTokens))
    set("generated_tokens", Double(s.lastTurn.generatedTokens))
    set("remote_tokens", Double(s.lastTurn.remoteTokens))
    set("prefill_ms", s.lastTurn.prefillMs)
    set("generate_ms", s.lastTurn.generateMs)
    if let ms = s.lastTurn.firstTextMs { set("first_text_ms", ms) }
    if let ms = s.lastTurn.firstAudioMs { set("first_audio_ms", ms) }
    lua_setfield(L, -2, "last_turn")
    return 1
}

let luaToString: parley_lua_impl = { L in
    guard let L, let box = runtimeBox(L, 1) else { return 0 }
    lua_pushstring(L, box.pointee.runtime == nil ? "parley.runtime (released)" : "parley.runtime")
    return 1
}

func npcBox(_ L: OpaquePointer, _ index: Int32) -> UnsafeMutablePointer<NPCBox>? {
    guard let raw = luaL_testudata(L, index, npcMetatable) else { return nil }
    return raw.assumingMemoryBound(to: NPCBox.self)
}

/// A field of the wrong type or an integer field that is not a representable integer:
/// raised as a Lua error (a script bug), unlike a value out of NPCLimits (nil, message).
struct LuaArgumentError: Error {
    let message: String
}

/// nil when the field is absent; a number (or numeric string) otherwise.
func numberField(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> Double? {
    lua_getfield(L, table, key)
    defer { parley_lua_pop(L, 1) }
    if lua_type(L, -1) == LUA_TNIL { return nil }
    guard lua_isnumber(L, -1) != 0 else { throw LuaArgumentError(message: "\(key) must be a number") }
    return lua_tonumber(L, -1)
}

/// Lua numbers are doubles: math.huge, NaN, 2^63 or 1.5 have no Int, and converting
/// them unchecked would trap, so they are refused here.
func integerField(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> Int? {
    guard let d = try numberField(L, table, key) else { return nil }
    guard let n = Int(exactly: d) else { throw LuaArgumentError(message: "\(key) must be an integer, got \(d)") }
    return n
}

func floatField(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> Float? {
    try numberField(L, table, key).map { Float($0) }
}

/// nil when the field is absent; a string otherwise (another type is a script bug).
func stringField(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> String? {
    lua_getfield(L, table, key)
    defer { parley_lua_pop(L, 1) }
    if lua_type(L, -1) == LUA_TNIL { return nil }
    guard lua_type(L, -1) == LUA_TSTRING, let s = parley_lua_tostring(L, -1) else {
        throw LuaArgumentError(message: "\(key) must be a string")
    }
    return String(cString: s)
}

/// Reads the subtable `key` of the table at `table` with `read` (given the subtable's
/// absolute index); nil when absent, a Lua error when it is not a table. Field names in
/// messages are prefixed with `key.`.
func tableField<T>(_ L: OpaquePointer, _ table: Int32, _ key: String,
                   _ read: (Int32) throws(LuaArgumentError) -> T) throws(LuaArgumentError) -> T? {
    lua_getfield(L, table, key)
    defer { parley_lua_pop(L, 1) }
    if lua_type(L, -1) == LUA_TNIL { return nil }
    guard parley_lua_istable(L, -1) != 0 else { throw LuaArgumentError(message: "\(key) must be a table") }
    do throws(LuaArgumentError) {
        return try read(lua_gettop(L))
    } catch {
        throw LuaArgumentError(message: key + "." + error.message)
    }
}

/// `remote = URL`, or `remote = { url =, model =, api_key =, first_byte_timeout_ms =, max_retries = }`,
/// over RemoteConfig's defaults; RemoteConfig.validate() judges the values (nil, message).
func remoteConfig(_ L: OpaquePointer, _ t: Int32) throws(LuaArgumentError) -> RemoteConfig? {
    if let url = try stringIfString(L, t, "remote") { return RemoteConfig(baseURL: url, model: "") }
    return try tableField(L, t, "remote") { (r: Int32) throws(LuaArgumentError) -> RemoteConfig in
        try checkOptionNames(L, r, ["url", "model", "api_key", "first_byte_timeout_ms", "max_retries"])
        guard let url = try stringField(L, r, "url") else { throw LuaArgumentError(message: "url must be a string") }
        var c = RemoteConfig(baseURL: url, model: try stringField(L, r, "model") ?? "", apiKey: try stringField(L, r, "api_key"))
        if let n = try integerField(L, r, "first_byte_timeout_ms") { c.firstByteTimeoutMs = n }
        if let n = try integerField(L, r, "max_retries") { c.maxRetries = n }
        return c
    }
}

/// Every key of the options table at `table` is a string in `known`: a designer's
/// typo ("temprature") is an error, not a silently ignored setting.
func checkOptionNames(_ L: OpaquePointer, _ table: Int32, _ known: Set<String>) throws(LuaArgumentError) {
    lua_pushnil(L)
    while lua_next(L, table) != 0 {
        // key at -2, value at -1; the key is read without converting it (lua_next needs it intact)
        var name: String?
        if lua_type(L, -2) == LUA_TSTRING, let s = parley_lua_tostring(L, -2) { name = String(cString: s) }
        parley_lua_pop(L, 1)
        guard let name, known.contains(name) else {
            parley_lua_pop(L, 1)
            let list = known.sorted().joined(separator: ", ")
            throw LuaArgumentError(message: name.map { "unknown option '\($0.prefix(64))' (known: \(list))" }
                ?? "option names must be strings (known: \(list))")
        }
    }
}

/// The field's text when it is a string (nil for anything else: the caller reads it as another type).
private func stringIfString(_ L: OpaquePointer, _ table: Int32, _ key: String) throws(LuaArgumentError) -> String? {
    lua_getfield(L, table, key)
    defer { parley_lua_pop(L, 1) }
    guard lua_type(L, -1) == LUA_TSTRING else { return nil }
    return try stringField(L, table, key)
}

/// `router = { threshold =, token_budget =, tokens_per_minute =, latency_budget_ms = }` over
/// RouterConfig's defaults; RouterConfig.validate() judges the values (nil, message).
func routerConfig(_ L: OpaquePointer, _ t: Int32) throws(LuaArgumentError) -> RouterConfig? {
    try tableField(L, t, "router") { (r: Int32) throws(LuaArgumentError) -> RouterConfig in
        try checkOptionNames(L, r, ["threshold", "token_budget", "tokens_per_minute", "latency_budget_ms"])
        var c = RouterConfig()
        if let v = try numberField(L, r, "threshold") { c.threshold = v }
        if let n = try integerField(L, r, "token_budget") { c.sessionTokenBudget = n }
        if let n = try integerField(L, r, "tokens_per_minute") { c.tokensPerMinute = n }
        if let v = try numberField(L, r, "latency_budget_ms") { c.latencyBudgetMs = v }
        return c
    }
}

/// The NPC table's fields over `NPCConfig`'s defaults; NPCConfig.validate() judges the values.
func npcConfig(_ L: OpaquePointer, _ t: Int32, name: String) throws(LuaArgumentError) -> NPCConfig {
    try checkOptionNames(L, t, ["name", "persona", "knowledge", "voice", "position", "policy", "max_tokens", "temperature",
                                "top_k", "top_p", "min_p", "repeat_penalty", "seed"])
    var config = NPCConfig(name: name, persona: try stringField(L, t, "persona") ?? "")
    lua_getfield(L, t, "knowledge")
    if lua_type(L, -1) != LUA_TNIL {
        guard parley_lua_istable(L, -1) != 0 else {
            parley_lua_pop(L, 1)
            throw LuaArgumentError(message: "knowledge must be a table of strings")
        }
        // the array part, in order; NPCConfig.validate() bounds its size
        let count = Int32(clamping: lua_objlen(L, -1))
        var i: Int32 = 1
        while i <= count {
            lua_rawgeti(L, -1, i)
            let line = lua_type(L, -1) == LUA_TSTRING ? parley_lua_tostring(L, -1).map { String(cString: $0) } : nil
            parley_lua_pop(L, 1)
            guard let line else {
                parley_lua_pop(L, 1)  // the knowledge table
                throw LuaArgumentError(message: "knowledge[\(i)] must be a string")
            }
            config.knowledge.append(line)
            i += 1
        }
    }
    parley_lua_pop(L, 1)
    lua_getfield(L, t, "voice")
    if lua_type(L, -1) != LUA_TNIL && parley_lua_istable(L, -1) == 0 {
        parley_lua_pop(L, 1)
        throw LuaArgumentError(message: "voice must be a table")
    }
    if parley_lua_istable(L, -1) != 0 {
        let v = lua_gettop(L)
        do throws(LuaArgumentError) {
            if let r = try floatField(L, v, "rate") { config.voice.rate = r }
            if let n = try floatField(L, v, "noise_scale") { config.voice.noiseScale = n }
            if let n = try floatField(L, v, "noise_w") { config.voice.noiseW = n }
            if let n = try integerField(L, v, "speaker") { config.voice.speaker = n }
        } catch {
            parley_lua_pop(L, 1)
            throw LuaArgumentError(message: "voice." + error.message)
        }
    }
    parley_lua_pop(L, 1)
    lua_getfield(L, t, "position")
    if lua_type(L, -1) != LUA_TNIL {
        var p: [Float] = []
        if parley_lua_istable(L, -1) != 0 {
            for i: Int32 in 1...3 {
                lua_rawgeti(L, -1, i)
                if lua_type(L, -1) == LUA_TNUMBER, case let x = lua_tonumber(L, -1), x.isFinite { p.append(Float(x)) }
                parley_lua_pop(L, 1)
            }
        }
        parley_lua_pop(L, 1)
        guard p.count == 3 else { throw LuaArgumentError(message: "position must be {x, y, z} of finite numbers") }
        config.position = (p[0], p[1], p[2])
    } else {
        parley_lua_pop(L, 1)
    }
    if let policy = try stringField(L, t, "policy") {
        guard let p = RoutingPolicy(rawValue: policy) else {
            throw LuaArgumentError(message: "policy must be \"auto\", \"local\" or \"remote\", got \"\(policy)\"")
        }
        config.policy = p
    }
    if let n = try integerField(L, t, "max_tokens") { config.maxReplyTokens = n }
    if let v = try floatField(L, t, "temperature") { config.sampler.temperature = v }
    if let n = try integerField(L, t, "top_k") { config.sampler.topK = n }
    if let v = try floatField(L, t, "top_p") { config.sampler.topP = v }
    if let v = try floatField(L, t, "min_p") { config.sampler.minP = v }
    if let v = try floatField(L, t, "repeat_penalty") { config.sampler.repeatPenalty = v }
    if let d = try numberField(L, t, "seed") {
        guard let seed = UInt64(exactly: d) else { throw LuaArgumentError(message: "seed must be an integer in 0…2^64-1, got \(d)") }
        config.sampler.seed = seed
    }
    return config
}

/// runtime:npc{ name=, persona=, knowledge={…}, voice={ rate=, noise_scale=, noise_w=, speaker= }, position={x,y,z},
///              policy=, max_tokens=, temperature=, top_k=, top_p=, min_p=, repeat_penalty=, seed= }
let luaNewNPC: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let box = runtimeBox(L, 1), let runtime = box.pointee.runtime else { return raise(L, "runtime:npc: not a live runtime") }
    guard parley_lua_istable(L, 2) != 0 else { return raise(L, "runtime:npc: expected a table") }
    guard let name = optionalStringField(L, 2, "name") else { return raise(L, "runtime:npc: name is required") }
    let config: NPCConfig
    do throws(LuaArgumentError) {
        config = try npcConfig(L, 2, name: name)
    } catch {
        return raise(L, "runtime:npc: " + error.message)
    }
    let npc: NPC
    do { npc = try runtime.takeUnretainedValue().createNPC(config) } catch { return nilAndMessage(L, error.parleyMessage) }
    return pushNPC(L, npc, runtime)
}

func pushNPC(_ L: OpaquePointer, _ npc: NPC, _ runtime: Unmanaged<Runtime>) -> Int32 {
    guard let raw = lua_newuserdata(L, MemoryLayout<NPCBox>.size) else { return raise(L, "out of memory") }
    _ = runtime.retain()
    raw.bindMemory(to: NPCBox.self, capacity: 1).initialize(to: NPCBox(npc: .passRetained(npc), runtime: runtime))
    parley_luaL_getmetatable(L, npcMetatable)
    lua_setmetatable(L, -2)
    return 1
}

/// Resolves `self` of an NPC method, or nil after release.
func liveNPC(_ L: OpaquePointer) -> (NPC, Runtime)? {
    guard let box = npcBox(L, 1), let npc = box.pointee.npc, let rt = box.pointee.runtime else { return nil }
    return (npc.takeUnretainedValue(), rt.takeUnretainedValue())
}

/// npc:say(text) -> turn id | nil, message
let luaSay: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return raise(L, "parley: npc used after release") }
    guard lua_type(L, 2) == LUA_TSTRING, let text = parley_lua_tostring(L, 2) else { return raise(L, "npc:say: expected a string") }
    do {
        let turn = try runtime.say(npc, String(cString: text))
        lua_pushnumber(L, Double(turn))
        return 1
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
}

let luaCancel: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return raise(L, "parley: npc used after release") }
    runtime.cancel(npc)
    return 0
}

/// npc:save() -> string (the game stores it in its save file)
let luaSave: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, _) = liveNPC(L) else { return raise(L, "parley: npc used after release") }
    let bytes = NPCSnapshot.encode(npc)
    bytes.withUnsafeBytes { lua_pushlstring(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
    return 1
}

let luaNPCID: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, _) = liveNPC(L) else { return raise(L, "parley: npc used after release") }
    lua_pushnumber(L, Double(npc.id))
    return 1
}

/// npc:release() (also __gc): destroys the NPC.
let luaNPCRelease: parley_lua_impl = { L in
    guard let L, let box = npcBox(L, 1) else { return 0 }
    if let npc = box.pointee.npc, let rt = box.pointee.runtime {
        rt.takeUnretainedValue().destroyNPC(npc.takeUnretainedValue())
        dropGuards(L, npc.takeUnretainedValue())
        npc.release()
        rt.release()
    }
    box.pointee = NPCBox(npc: nil, runtime: nil)
    return 0
}

/// runtime:load_npc(bytes) -> npc | nil, message
let luaLoadNPC: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let box = runtimeBox(L, 1), let runtime = box.pointee.runtime else { return raise(L, "runtime:load_npc: not a live runtime") }
    var length = 0
    guard lua_type(L, 2) == LUA_TSTRING, let data = lua_tolstring(L, 2, &length) else { return raise(L, "runtime:load_npc: expected a string") }
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
    do {
        return pushNPC(L, try runtime.takeUnretainedValue().loadNPC(bytes), runtime)
    } catch {
        return nilAndMessage(L, error.parleyMessage)
    }
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
        setFunction(L, "npc", luaNewNPC)
        setFunction(L, "load_npc", luaLoadNPC)
        setFunction(L, "stats", luaStats)
        setFunction(L, "release", luaRelease)
        lua_setfield(L, -2, "__index")
        setFunction(L, "__gc", luaRelease)
        setFunction(L, "__tostring", luaToString)
    }
    parley_lua_pop(L, 1)
    if luaL_newmetatable(L, npcMetatable) != 0 {
        parley_lua_newtable(L)
        setFunction(L, "say", luaSay)
        setFunction(L, "cancel", luaCancel)
        setFunction(L, "save", luaSave)
        setFunction(L, "id", luaNPCID)
        setFunction(L, "add_tool", luaAddTool)
        setFunction(L, "set_tool_guard", luaSetToolGuard)
        setFunction(L, "set_tool_rate_limit", luaSetToolRateLimit)
        setFunction(L, "tool_result", luaToolResult)
        setFunction(L, "release", luaNPCRelease)
        lua_setfield(L, -2, "__index")
        setFunction(L, "__gc", luaNPCRelease)
    }
    parley_lua_pop(L, 1)

    parley_lua_newtable(L)
    setFunction(L, "open", luaOpen)
    lua_pushstring(L, moduleVersion)
    lua_setfield(L, -2, "_VERSION")
    return 1
}

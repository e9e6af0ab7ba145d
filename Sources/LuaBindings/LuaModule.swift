// `require "parley"`: the Lua-facing API. Translation only; the runtime does the work.
// Errors: bad arguments raise Lua errors; runtime failures return nil, message.
import CLuaJIT
import Kernels
import ComputeRouter
import NPCRuntime

let runtimeMetatable = "parley.runtime"
let npcMetatable = "parley.npc"
let moduleVersion = "parley 0.6.0"

/// Userdata payload: a retained Runtime, or nil once released.
struct RuntimeBox {
    var runtime: Unmanaged<Runtime>?
    /// The `rt` of a script the runtime runs itself (parley_runtime_load_script):
    /// parley_poll dispatches its events, so its rt:update takes none.
    var embedded = false
}

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

/// Pushes table[key] without metamethods: a designer's table whose __index raises
/// must not make Lua unwind through this Swift frame.
func rawField(_ L: OpaquePointer, _ table: Int32, _ key: String) {
    let t = table < 0 && table > parley_lua_registryindex() ? lua_gettop(L) + table + 1 : table
    lua_pushstring(L, key)
    lua_rawget(L, t)
}

func optionalStringField(_ L: OpaquePointer, _ table: Int32, _ key: String) -> String? {
    rawField(L, table, key)
    defer { parley_lua_pop(L, 1) }
    guard lua_type(L, -1) == LUA_TSTRING, let s = parley_lua_tostring(L, -1) else { return nil }
    return String(cString: s)
}

func runtimeBox(_ L: OpaquePointer, _ index: Int32) -> UnsafeMutablePointer<RuntimeBox>? {
    // testudata, not checkudata: a type error must not longjmp through this Swift frame.
    guard let raw = luaL_testudata(L, index, runtimeMetatable) else { return nil }
    return raw.assumingMemoryBound(to: RuntimeBox.self)
}

/// parley.open{ model = "...", voice = "...", voice_precision = "exact" | "int16", threads = n, ctx = n, seed = n,
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
        try checkOptionNames(L, 1, ["model", "voice", "voice_precision", "threads", "ctx", "seed", "remote", "router"])
        config.modelPath = try stringField(L, 1, "model")
        config.voicePath = try stringField(L, 1, "voice")
        if let name = try stringField(L, 1, "voice_precision") {
            guard let precision = VoicePrecision(rawValue: name) else {
                throw LuaArgumentError(message: "voice_precision must be \"exact\" or \"int16\", got \"\(name)\"")
            }
            config.voicePrecision = precision
        }
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

/// runtime:poll() -> event table (see pushEvent) | nil
let luaPoll: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
    // Tool guards (Lua functions) run inside runtime.poll() on this Lua thread; a guard that
    // polls again would take events out of order, so that is an error (its guard then refuses).
    guard pollingState() == nil else { return raise(L, "rt:poll: called from inside a tool guard") }
    guard runtimeBox(L, 1)?.pointee.embedded != true else {
        return raise(L, "rt:poll: this runtime's events come through parley_poll (the script sees each one first)")
    }
    guard let event = whilePolling(L, { runtime.poll() }) else { lua_pushnil(L); return 1 }
    pushEvent(L, event)
    return 1
}

/// runtime:stats() -> { npc_count, turns_completed, tokens_prefilled, tokens_generated,
///                      remote_tokens, remote_fallbacks, last_turn = { turn, prompt_tokens, prefilled_tokens,
///                      generated_tokens, remote_tokens, prefill_ms, generate_ms, first_text_ms?, first_audio_ms? } }
let luaStats: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
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
    rawField(L, table, key)
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
    rawField(L, table, key)
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
    rawField(L, table, key)
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
    rawField(L, table, key)
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

/// `effects = { "radio", "hall" }`: known effect names, at most `VoiceEffect.maxChain`.
func voiceEffects(_ L: OpaquePointer, _ t: Int32) throws(LuaArgumentError) -> [VoiceEffect] {
    let count = Int32(clamping: lua_objlen(L, t))
    guard count <= VoiceEffect.maxChain else {
        throw LuaArgumentError(message: "has \(count) effects; at most \(VoiceEffect.maxChain)")
    }
    var effects: [VoiceEffect] = []
    var i: Int32 = 1
    while i <= count {
        lua_rawgeti(L, t, i)
        let name = lua_type(L, -1) == LUA_TSTRING ? parley_lua_tostring(L, -1).map { String(cString: $0) } : nil
        parley_lua_pop(L, 1)
        guard let name else { throw LuaArgumentError(message: "[\(i)] must be an effect name") }
        do throws(RuntimeError) { effects.append(try VoiceStyle.effect(name)) } catch { throw LuaArgumentError(message: "[\(i)]: " + error.message) }
        i += 1
    }
    return effects
}

/// The NPC table's fields over `NPCConfig`'s defaults; NPCConfig.validate() judges the values.
func npcConfig(_ L: OpaquePointer, _ t: Int32, name: String) throws(LuaArgumentError) -> NPCConfig {
    try checkOptionNames(L, t, ["name", "persona", "knowledge", "examples", "authored", "voice", "position", "policy", "max_tokens", "max_sentences", "temperature",
                                "top_k", "top_p", "min_p", "repeat_penalty", "seed"])
    var config = NPCConfig(name: name, persona: try stringField(L, t, "persona") ?? "")
    rawField(L, t, "knowledge")
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
    config.examples = try tableField(L, t, "examples") { (e: Int32) throws(LuaArgumentError) -> [DialogueExample] in
        try textPairs(L, e, "player", "reply", limit: NPCLimits.examples.upperBound).map { DialogueExample(player: $0.0, reply: $0.1) }
    } ?? []
    config.authored = try tableField(L, t, "authored") { (e: Int32) throws(LuaArgumentError) -> [AuthoredLine] in
        try textPairs(L, e, "trigger", "reply", limit: NPCLimits.authoredLines.upperBound).map { AuthoredLine(trigger: $0.0, reply: $0.1) }
    } ?? []
    rawField(L, t, "voice")
    if lua_type(L, -1) != LUA_TNIL && parley_lua_istable(L, -1) == 0 {
        parley_lua_pop(L, 1)
        throw LuaArgumentError(message: "voice must be a table")
    }
    if parley_lua_istable(L, -1) != 0 {
        let v = lua_gettop(L)
        do throws(LuaArgumentError) {
            try checkOptionNames(L, v, ["preset", "rate", "pitch", "formant", "effects", "noise_scale", "noise_w", "speaker"])
            // the preset first: the other fields override it
            if let p = try stringField(L, v, "preset") {
                do throws(RuntimeError) { config.voice = try VoiceStyle.preset(p) } catch { throw LuaArgumentError(message: error.message) }
            }
            if let r = try floatField(L, v, "pitch") { config.voice.pitch = r }
            if let r = try floatField(L, v, "formant") { config.voice.formant = r }
            if let effects = try tableField(L, v, "effects", { (e: Int32) throws(LuaArgumentError) -> [VoiceEffect] in
                try voiceEffects(L, e)
            }) { config.voice.effects = effects }
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
    rawField(L, t, "position")
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
    if let n = try integerField(L, t, "max_sentences") { config.maxSentences = n }
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

/// A list of text pairs: `{ { player = "...", reply = "..." }, { "line", "reply" }, ... }` for
/// examples (keys player, reply) and `authored` (trigger, reply), the array part in order;
/// NPCConfig.validate() bounds the count and lengths.
func textPairs(_ L: OpaquePointer, _ table: Int32, _ first: String, _ second: String, limit: Int) throws(LuaArgumentError) -> [(String, String)] {
    var pairs: [(String, String)] = []
    let count = min(lua_objlen(L, table), limit + 1)
    let shape = "{ \(first) = \"...\", \(second) = \"...\" }"
    for i in 0..<count {
        lua_rawgeti(L, table, Int32(i + 1))
        defer { parley_lua_pop(L, 1) }
        let item = lua_gettop(L)
        guard parley_lua_istable(L, item) != 0 else { throw LuaArgumentError(message: "[\(i + 1)] must be \(shape)") }
        func text(_ key: String, _ position: Int32) -> String? {
            rawField(L, item, key)
            if lua_type(L, -1) == LUA_TNIL { parley_lua_pop(L, 1); lua_rawgeti(L, item, position) }
            defer { parley_lua_pop(L, 1) }
            return lua_type(L, -1) == LUA_TSTRING ? utf8String(L, -1) : nil
        }
        guard let a = text(first, 1), let b = text(second, 2) else {
            throw LuaArgumentError(message: "[\(i + 1)] must be \(shape) of UTF-8 strings")
        }
        pairs.append((a, b))
    }
    return pairs
}

/// runtime:npc{ name=, persona=, knowledge={…}, examples={…}, authored={…}, voice={ preset=, rate=, pitch=, formant=, effects={…}, noise_scale=, noise_w=, speaker= }, position={x,y,z},
///              policy=, max_tokens=, temperature=, top_k=, top_p=, min_p=, repeat_penalty=, seed= }
let luaNewNPC: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime else { return notLiveRuntime(L) }
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
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
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
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    runtime.cancel(npc)
    return 0
}

/// npc:save() -> string (the game stores it in its save file)
let luaSave: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, _) = liveNPC(L) else { return notLiveNPC(L) }
    let bytes = NPCSnapshot.encode(npc)
    bytes.withUnsafeBytes { lua_pushlstring(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
    return 1
}

/// npc.id (read through the NPC's __index in the Lua half)
let luaNPCID: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, _) = liveNPC(L) else { return notLiveNPC(L) }
    lua_pushnumber(L, Double(npc.id))
    return 1
}

/// npc.name
let luaNPCName: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, _) = liveNPC(L) else { return notLiveNPC(L) }
    pushString(L, npc.config.name)
    return 1
}

/// npc:set_position(x, y, z): finite numbers, else a Lua error.
let luaSetPosition: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    var p: [Float] = []
    for i: Int32 in 2...4 {
        guard lua_type(L, i) == LUA_TNUMBER, case let x = lua_tonumber(L, i), x.isFinite, abs(x) <= Double(Float.greatestFiniteMagnitude) else {
            return raise(L, "npc:set_position: x, y and z must be finite numbers")
        }
        p.append(Float(x))
    }
    do throws(RuntimeError) { try runtime.setPosition(npc, x: p[0], y: p[1], z: p[2]) } catch { return raise(L, "npc:set_position: " + error.message) }
    return 0
}

/// npc:_cancel_turn(turn_id): cancels that turn only if it is still the NPC's current one.
let luaCancelTurn: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let (npc, runtime) = liveNPC(L) else { return notLiveNPC(L) }
    guard lua_type(L, 2) == LUA_TNUMBER, let id = UInt64(exactly: lua_tonumber(L, 2)) else {
        return raise(L, "turn:cancel: not a turn of this NPC")
    }
    runtime.cancel(npc, turnID: id)
    return 0
}

let luaNPCToString: parley_lua_impl = { L in
    guard let L else { return 0 }
    if let (npc, _) = liveNPC(L) {
        pushString(L, "parley.npc \(npc.id) (\(npc.config.name.prefix(64)))")
    } else {
        lua_pushstring(L, "parley.npc (released)")
    }
    return 1
}

/// The error for a `self` that is not a live NPC: released, or not an NPC at all.
func notLiveNPC(_ L: OpaquePointer) -> Int32 {
    if npcBox(L, 1) != nil { return raise(L, "parley: npc used after release") }
    return raise(L, "parley: expected an NPC as self (npc:method(...)), got a " + typeName(L, 1))
}

func notLiveRuntime(_ L: OpaquePointer) -> Int32 {
    if runtimeBox(L, 1) != nil { return raise(L, "parley: runtime used after release") }
    return raise(L, "parley: expected a runtime as self (rt:method(...)), got a " + typeName(L, 1))
}

func typeName(_ L: OpaquePointer, _ index: Int32) -> String {
    String(cString: lua_typename(L, lua_type(L, index)))
}

/// rt:_script_error(npc_id, turn_id, message): a script's failure on an NPC's event
/// becomes an ERROR event (status "script") for that NPC; used by the Lua half.
let luaScriptError: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime?.takeUnretainedValue() else { return notLiveRuntime(L) }
    guard lua_type(L, 2) == LUA_TNUMBER, let npc = UInt64(exactly: lua_tonumber(L, 2)),
          lua_type(L, 3) == LUA_TNUMBER, let turn = UInt64(exactly: lua_tonumber(L, 3)),
          lua_type(L, 4) == LUA_TSTRING else { return raise(L, "rt:_script_error: expected npc id, turn id, message") }
    runtime.reportScriptError(npcID: npc, turnID: turn, utf8String(L, 4) ?? "(a message that is not UTF-8)")
    return 0
}

/// rt:_embedded() -> true for the `rt` of a script the runtime runs itself.
let luaIsEmbedded: parley_lua_impl = { L in
    guard let L else { return 0 }
    guard let box = runtimeBox(L, 1) else { return notLiveRuntime(L) }
    lua_pushboolean(L, box.pointee.embedded ? 1 : 0)
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
    guard let runtime = runtimeBox(L, 1)?.pointee.runtime else { return notLiveRuntime(L) }
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

/// The registry key of the module table: a second luaopen_parley in one state returns it.
let moduleKey = "parley.module"

@_cdecl("luaopen_parley")
public func luaopen_parley(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    lua_getfield(L, parley_lua_registryindex(), moduleKey)
    if parley_lua_istable(L, -1) != 0 { return 1 }
    parley_lua_pop(L, 1)
    lua_checkstack(L, 8)

    lua_pushlightuserdata(L, nil)
    lua_setfield(L, parley_lua_registryindex(), jsonNullKey)

    luaL_newmetatable(L, runtimeMetatable)
    let runtimeMT = lua_gettop(L)
    parley_lua_newtable(L)  // methods
    setFunction(L, "poll", luaPoll)
    setFunction(L, "npc", luaNewNPC)
    setFunction(L, "load_npc", luaLoadNPC)
    setFunction(L, "stats", luaStats)
    setFunction(L, "audio", luaAudioOpen)
    setFunction(L, "audio_close", luaAudioClose)
    setFunction(L, "listener", luaListener)
    setFunction(L, "release", luaRelease)
    setFunction(L, "_script_error", luaScriptError)
    setFunction(L, "_embedded", luaIsEmbedded)
    lua_setfield(L, runtimeMT, "__index")
    setFunction(L, "__gc", luaRelease)
    setFunction(L, "__tostring", luaToString)

    luaL_newmetatable(L, npcMetatable)
    let npcMT = lua_gettop(L)
    parley_lua_newtable(L)
    setFunction(L, "say", luaSay)
    setFunction(L, "cancel", luaCancel)
    setFunction(L, "save", luaSave)
    setFunction(L, "set_position", luaSetPosition)
    setFunction(L, "set_velocity", luaSetVelocity)
    setFunction(L, "is_speaking", luaIsSpeaking)
    setFunction(L, "add_tool", luaAddTool)
    setFunction(L, "set_tool_guard", luaSetToolGuard)
    setFunction(L, "set_tool_rate_limit", luaSetToolRateLimit)
    setFunction(L, "tool_result", luaToolResult)
    setFunction(L, "release", luaNPCRelease)
    setFunction(L, "_id", luaNPCID)
    setFunction(L, "_name", luaNPCName)
    setFunction(L, "_cancel_turn", luaCancelTurn)
    lua_setfield(L, npcMT, "__index")
    setFunction(L, "__gc", luaNPCRelease)
    setFunction(L, "__tostring", luaNPCToString)

    parley_lua_newtable(L)
    let module = lua_gettop(L)
    setFunction(L, "open", luaOpen)
    setFunction(L, "json_decode", luaJSONDecode)
    setFunction(L, "json_encode", luaJSONEncode)
    pushJSONNull(L)
    lua_setfield(L, module, "null")
    lua_pushstring(L, moduleVersion)
    lua_setfield(L, module, "_VERSION")
    if let failure = runPrelude(L, module: module, runtimeMetatable: runtimeMT, npcMetatable: npcMT) {
        pushString(L, failure)
        lua_setfield(L, module, "_PRELUDE_ERROR")
    }
    lua_pushvalue(L, module)
    lua_setfield(L, parley_lua_registryindex(), moduleKey)
    return 1
}

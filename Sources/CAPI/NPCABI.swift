// parley_npc_*: NPC handles, say/cancel, save/load, stats. Translation only.
import NPCRuntime
import ParleyABI
#if canImport(Glibc)
import Glibc
#endif

/// What a `parley_npc*` points to.
final class NPCHandle {
    let npc: NPC
    unowned let owner: RuntimeHandle
    init(npc: NPC, owner: RuntimeHandle) { self.npc = npc; self.owner = owner }
}

/// The NPC behind `p`; nil when `p` is not a live handle.
func npcHandle(_ p: OpaquePointer) -> NPCHandle? {
    guard LiveHandles.isLive(npc: UnsafeRawPointer(p)) else { return nil }
    return Unmanaged<NPCHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

/// The 0.1 symbol, for programs built against 0.1: the caller's return slot holds only
/// the V1 layout, so it returns that layout (the current defaults, cut at V1).
@_cdecl("parley_npc_default_params")
public func parley_npc_default_params_v1() -> parley_npc_params_v1 {
    var v1 = parley_npc_params_v1()
    let full = parley_npc_default_params_v2()
    withUnsafeBytes(of: full) { src in
        withUnsafeMutableBytes(of: &v1) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[..<min(src.count, dst.count)]))
        }
    }
    v1.struct_size = MemoryLayout<parley_npc_params_v1>.size
    return v1
}

@_cdecl("parley_npc_default_params_v2")
public func parley_npc_default_params_v2() -> parley_npc_params {
    // NPCConfig and SamplerConfig.npcDefault hold the defaults; name and persona stay NULL.
    let c = NPCConfig(name: "", persona: "")
    var p = parley_npc_params()
    p.struct_size = MemoryLayout<parley_npc_params>.size
    p.voice_rate = c.voice.rate
    p.noise_scale = c.voice.noiseScale ?? -1
    p.noise_w = c.voice.noiseW ?? -1
    p.speaker = c.voice.speaker.map { Int32(clamping: $0) } ?? -1
    p.position = (c.position.x, c.position.y, c.position.z)
    p.policy = routePolicy(c.policy)
    p.max_reply_tokens = Int32(clamping: c.maxReplyTokens)
    p.temperature = c.sampler.temperature
    p.seed = c.sampler.seed
    p.top_k = Int32(clamping: c.sampler.topK)
    p.top_p = c.sampler.topP
    p.min_p = c.sampler.minP
    p.repeat_penalty = c.sampler.repeatPenalty
    return p
}

func routePolicy(_ policy: RoutingPolicy) -> parley_route_policy {
    switch policy {
    case .auto: PARLEY_ROUTE_AUTO
    case .local: PARLEY_ROUTE_LOCAL
    case .remote: PARLEY_ROUTE_REMOTE
    }
}

func string(_ p: UnsafePointer<CChar>?, _ what: String) throws(RuntimeError) -> String? {
    guard let p else { return nil }
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
    guard let s = String(validating: bytes, as: UTF8.self) else { throw RuntimeError(.invalidArgument, "\(what) is not valid UTF-8") }
    return s
}

func npcConfig(_ p: parley_npc_params) throws(RuntimeError) -> NPCConfig {
    guard let name = try string(p.name, "name") else { throw RuntimeError(.invalidArgument, "parley_npc_params.name is NULL") }
    var c = NPCConfig(name: name, persona: try string(p.persona, "persona") ?? "")
    // Checked before reading the lines: n_knowledge bounds how far we walk the caller's array.
    try NPCLimits.check(Int(clamping: p.n_knowledge), in: NPCLimits.knowledgeLines, "n_knowledge")
    if p.n_knowledge > 0 {
        guard let lines = p.knowledge else { throw RuntimeError(.invalidArgument, "knowledge is NULL but n_knowledge > 0") }
        for i in 0..<p.n_knowledge {
            guard let line = try string(lines[i], "knowledge[\(i)]") else { throw RuntimeError(.invalidArgument, "knowledge[\(i)] is NULL") }
            c.knowledge.append(line)
        }
    }
    c.voice.rate = p.voice_rate
    // Negative means "the voice's default"; NaN is passed on so validate() rejects it.
    c.voice.noiseScale = p.noise_scale < 0 ? nil : p.noise_scale
    c.voice.noiseW = p.noise_w < 0 ? nil : p.noise_w
    c.voice.speaker = p.speaker >= 0 ? Int(p.speaker) : nil
    c.position = (p.position.0, p.position.1, p.position.2)
    switch p.policy {
    case PARLEY_ROUTE_LOCAL: c.policy = .local
    case PARLEY_ROUTE_REMOTE: c.policy = .remote
    case PARLEY_ROUTE_AUTO: c.policy = .auto
    default: throw RuntimeError(.invalidArgument, "unknown routing policy \(p.policy.rawValue)")
    }
    c.maxReplyTokens = Int(p.max_reply_tokens)
    c.sampler.temperature = p.temperature
    c.sampler.seed = p.seed
    c.sampler.topK = Int(p.top_k)
    c.sampler.topP = p.top_p
    c.sampler.minP = p.min_p
    c.sampler.repeatPenalty = p.repeat_penalty
    return c
}

func register(_ npc: NPC, in owner: RuntimeHandle, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    let h = Unmanaged.passRetained(NPCHandle(npc: npc, owner: owner))
    owner.npcs[npc.id] = h
    LiveHandles.added(npc: h.toOpaque())
    out.pointee = OpaquePointer(h.toOpaque())
}

@_cdecl("parley_npc_create")
public func parley_npc_create(_ rt: OpaquePointer?, _ params: UnsafePointer<parley_npc_params>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_create: out is NULL") }
    out.pointee = nil
    guard let rt, let params else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_create: rt and params must not be NULL") }
    let p: parley_npc_params
    do throws(StructSizeError) {
        p = try VersionedStruct.read(params, defaults: parley_npc_default_params_v2(), v1Size: npcParamsV1Size, "parley_npc_create")
    } catch {
        return fail(error)
    }
    guard let owner = handle(rt) else { return notLive(#function, "rt") }
    if let refused = owner.refuseOffThread(#function) { return refused }
    do {
        let npc = try owner.runtime.createNPC(try npcConfig(p))
        register(npc, in: owner, out)
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_npc_destroy")
public func parley_npc_destroy(_ npc: OpaquePointer?) {
    guard let npc, let h = npcHandle(npc), h.owner.refuseOffThread(#function) == nil,
          LiveHandles.removed(npc: UnsafeRawPointer(npc)) else { return }  // NULL, destroyed already, or the wrong thread
    h.owner.runtime.destroyNPC(h.npc)
    h.owner.npcs.removeValue(forKey: h.npc.id)?.release()
}

@_cdecl("parley_npc_id")
public func parley_npc_id(_ npc: OpaquePointer?) -> UInt64 {
    guard let npc, let h = npcHandle(npc) else { return 0 }
    return h.npc.id
}

@_cdecl("parley_npc_say")
public func parley_npc_say(_ npc: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ turnID: UnsafeMutablePointer<UInt64>?) -> parley_status {
    guard let npc, let text else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_say: npc and text must not be NULL") }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do {
        guard let line = try string(text, "text") else { return PARLEY_ERR_INVALID_ARGUMENT }
        let id = try h.owner.runtime.say(h.npc, line)
        turnID?.pointee = id
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_npc_cancel")
public func parley_npc_cancel(_ npc: OpaquePointer?) -> parley_status {
    guard let npc else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_cancel: npc is NULL") }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    h.owner.runtime.cancel(h.npc)
    return PARLEY_OK
}

@_cdecl("parley_npc_add_example")
public func parley_npc_add_example(_ npc: OpaquePointer?, _ player: UnsafePointer<CChar>?,
                                   _ reply: UnsafePointer<CChar>?) -> parley_status {
    addTextPair(npc, player, reply, "parley_npc_add_example", ("player", "reply")) { rt, npc, player, reply throws(RuntimeError) in
        try rt.addExample(npc, DialogueExample(player: player, reply: reply))
    }
}

@_cdecl("parley_npc_add_authored_line")
public func parley_npc_add_authored_line(_ npc: OpaquePointer?, _ trigger: UnsafePointer<CChar>?,
                                         _ reply: UnsafePointer<CChar>?) -> parley_status {
    addTextPair(npc, trigger, reply, "parley_npc_add_authored_line", ("trigger", "reply")) { rt, npc, trigger, reply throws(RuntimeError) in
        try rt.addAuthoredLine(npc, AuthoredLine(trigger: trigger, reply: reply))
    }
}

@_cdecl("parley_npc_set_voice")
public func parley_npc_set_voice(_ npc: OpaquePointer?, _ style: UnsafePointer<CChar>?) -> parley_status {
    guard let npc, style != nil else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_set_voice: npc and style must not be NULL") }
    do throws(RuntimeError) {
        guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
        if let refused = h.owner.refuseOffThread(#function) { return refused }
        guard let text = try string(style, "style") else { return PARLEY_ERR_INVALID_ARGUMENT }
        try h.owner.runtime.setVoice(h.npc, style: text)
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_npc_set_voice: " + error.message))
    }
}

/// The checks both designer-text functions share: non-NULL, UTF-8, then `add`.
private func addTextPair(_ npc: OpaquePointer?, _ first: UnsafePointer<CChar>?, _ second: UnsafePointer<CChar>?,
                         _ function: String, _ names: (String, String),
                         _ add: (Runtime, NPC, String, String) throws(RuntimeError) -> Void) -> parley_status {
    guard let npc, first != nil, second != nil else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "\(function): npc, \(names.0) and \(names.1) must not be NULL")
    }
    do throws(RuntimeError) {
        guard let h = npcHandle(npc) else { return notLive(function, "npc") }
        if let refused = h.owner.refuseOffThread(function) { return refused }
        guard let a = try string(first, names.0), let b = try string(second, names.1) else { return PARLEY_ERR_INVALID_ARGUMENT }
        try add(h.owner.runtime, h.npc, a, b)
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "\(function): " + error.message))
    }
}

@_cdecl("parley_npc_save")
public func parley_npc_save(_ npc: OpaquePointer?, _ buf: UnsafeMutableRawPointer?, _ capacity: Int,
                            _ size: UnsafeMutablePointer<Int>?) -> parley_status {
    guard let npc, let size else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_save: npc and size must not be NULL") }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    let bytes = NPCSnapshot.encode(h.npc)
    size.pointee = bytes.count
    guard let buf else { return PARLEY_OK }
    guard capacity >= bytes.count else {
        return fail(PARLEY_ERR_BUFFER_TOO_SMALL, "parley_npc_save: needs \(bytes.count) bytes, got \(capacity)")
    }
    bytes.withUnsafeBytes { src in
        if let base = src.baseAddress { buf.copyMemory(from: base, byteCount: src.count) }
    }
    return PARLEY_OK
}

@_cdecl("parley_npc_load")
public func parley_npc_load(_ rt: OpaquePointer?, _ data: UnsafeRawPointer?, _ size: Int,
                            _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_load: out is NULL") }
    out.pointee = nil
    guard let rt, let data, size > 0 else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_load: rt and data must not be NULL, size > 0") }
    guard let owner = handle(rt) else { return notLive(#function, "rt") }
    if let refused = owner.refuseOffThread(#function) { return refused }
    do {
        let npc = try owner.runtime.loadNPC(Array(UnsafeRawBufferPointer(start: data, count: size)))
        register(npc, in: owner, out)
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_runtime_stats")
public func parley_runtime_stats(_ rt: OpaquePointer?, _ out: UnsafeMutablePointer<parley_stats>?) -> parley_status {
    guard let rt, let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_stats: rt and out must not be NULL") }
    guard let s = handle(rt)?.runtime.stats() else { return notLive(#function, "rt") }
    var r = parley_stats()
    r.npc_count = UInt32(clamping: s.npcCount)
    r.turns_completed = s.turnsCompleted
    r.tokens_prefilled = s.tokensPrefilled
    r.tokens_generated = s.tokensGenerated
    r.last_turn_id = s.lastTurn.turnID
    r.last_prompt_tokens = UInt32(clamping: s.lastTurn.promptTokens)
    r.last_prefilled_tokens = UInt32(clamping: s.lastTurn.prefilledTokens)
    r.last_generated_tokens = UInt32(clamping: s.lastTurn.generatedTokens)
    r.last_prefill_ms = s.lastTurn.prefillMs
    r.last_generate_ms = s.lastTurn.generateMs
    r.last_first_text_ms = s.lastTurn.firstTextMs ?? -1
    r.last_first_audio_ms = s.lastTurn.firstAudioMs ?? -1
    r.remote_tokens = s.remoteTokens
    r.remote_fallbacks = s.remoteFallbacks
    do throws(StructSizeError) {
        try VersionedStruct.write(r, to: out, v1Size: statsV1Size, "parley_runtime_stats")
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

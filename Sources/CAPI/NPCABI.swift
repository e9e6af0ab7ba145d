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

func npcHandle(_ p: OpaquePointer) -> NPCHandle {
    Unmanaged<NPCHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

/// Bytes of parley_npc_params up to and including `seed`, the first published version.
let npcParamsV1Size = MemoryLayout<parley_npc_params>.size

@_cdecl("parley_npc_default_params")
public func parley_npc_default_params() -> parley_npc_params {
    var p = parley_npc_params()
    p.struct_size = MemoryLayout<parley_npc_params>.size
    p.voice_rate = 1
    p.noise_scale = -1
    p.noise_w = -1
    p.speaker = -1
    p.policy = PARLEY_ROUTE_AUTO
    p.max_reply_tokens = 96
    p.temperature = 0.7
    return p
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
    guard p.n_knowledge <= 512 else { throw RuntimeError(.invalidArgument, "n_knowledge \(p.n_knowledge) > 512") }
    if p.n_knowledge > 0 {
        guard let lines = p.knowledge else { throw RuntimeError(.invalidArgument, "knowledge is NULL but n_knowledge > 0") }
        for i in 0..<p.n_knowledge {
            guard let line = try string(lines[i], "knowledge[\(i)]") else { throw RuntimeError(.invalidArgument, "knowledge[\(i)] is NULL") }
            c.knowledge.append(line)
        }
    }
    c.voice.rate = p.voice_rate
    c.voice.noiseScale = p.noise_scale >= 0 ? p.noise_scale : nil
    c.voice.noiseW = p.noise_w >= 0 ? p.noise_w : nil
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
    return c
}

func register(_ npc: NPC, in owner: RuntimeHandle, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    let h = Unmanaged.passRetained(NPCHandle(npc: npc, owner: owner))
    owner.npcs[npc.id] = h
    out.pointee = OpaquePointer(h.toOpaque())
}

@_cdecl("parley_npc_create")
public func parley_npc_create(_ rt: OpaquePointer?, _ params: UnsafePointer<parley_npc_params>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_create: out is NULL") }
    out.pointee = nil
    guard let rt, let params else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_create: rt and params must not be NULL") }
    guard params.pointee.struct_size >= npcParamsV1Size else {
        return fail(PARLEY_ERR_STRUCT_SIZE, "parley_npc_create: fill params with parley_npc_default_params()")
    }
    let owner = handle(rt)
    do {
        let npc = try owner.runtime.createNPC(try npcConfig(params.pointee))
        register(npc, in: owner, out)
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_npc_destroy")
public func parley_npc_destroy(_ npc: OpaquePointer?) {
    guard let npc else { return }
    let h = npcHandle(npc)
    h.owner.runtime.destroyNPC(h.npc)
    h.owner.npcs.removeValue(forKey: h.npc.id)?.release()
}

@_cdecl("parley_npc_id")
public func parley_npc_id(_ npc: OpaquePointer?) -> UInt64 {
    guard let npc else { return 0 }
    return npcHandle(npc).npc.id
}

@_cdecl("parley_npc_say")
public func parley_npc_say(_ npc: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ turnID: UnsafeMutablePointer<UInt64>?) -> parley_status {
    guard let npc, let text else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_say: npc and text must not be NULL") }
    let h = npcHandle(npc)
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
    let h = npcHandle(npc)
    h.owner.runtime.cancel(h.npc)
    return PARLEY_OK
}

@_cdecl("parley_npc_save")
public func parley_npc_save(_ npc: OpaquePointer?, _ buf: UnsafeMutableRawPointer?, _ capacity: Int,
                            _ size: UnsafeMutablePointer<Int>?) -> parley_status {
    guard let npc, let size else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_save: npc and size must not be NULL") }
    let bytes = NPCSnapshot.encode(npcHandle(npc).npc)
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
    let owner = handle(rt)
    do {
        let npc = try owner.runtime.loadNPC(Array(UnsafeRawBufferPointer(start: data, count: size)))
        register(npc, in: owner, out)
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

let statsV1Size = MemoryLayout<parley_stats>.size

@_cdecl("parley_runtime_stats")
public func parley_runtime_stats(_ rt: OpaquePointer?, _ out: UnsafeMutablePointer<parley_stats>?) -> parley_status {
    guard let rt, let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_stats: rt and out must not be NULL") }
    guard out.pointee.struct_size >= statsV1Size else { return fail(PARLEY_ERR_STRUCT_SIZE, "parley_runtime_stats: set struct_size") }
    let s = handle(rt).runtime.stats()
    var r = parley_stats()
    r.struct_size = out.pointee.struct_size
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
    out.pointee = r
    return PARLEY_OK
}

// parley_audio_*, parley_listener_set, NPC position/velocity: translation only.
// The output itself (OpenAL) and its feeding live in NPCRuntime (Audio/, Runtime+Audio).
import NPCRuntime
import ParleyABI
#if canImport(Glibc)
import Glibc
#endif

let audioParamsV1Size = Int(PARLEY_AUDIO_PARAMS_V1_SIZE)

@_cdecl("parley_audio_default_params")
public func parley_audio_default_params() -> parley_audio_params {
    // AudioOutputConfig holds the defaults.
    let c = AudioOutputConfig()
    var p = parley_audio_params()
    p.struct_size = MemoryLayout<parley_audio_params>.size
    p.device = nil
    p.distance_model = distanceModel(c.distanceModel)
    p.reference_distance = c.referenceDistance
    p.rolloff = c.rolloff
    p.max_distance = c.maxDistance
    p.gain = c.gain
    return p
}

private let distanceModels: [(parley_distance_model, DistanceModel)] = [
    (PARLEY_DISTANCE_NONE, .none), (PARLEY_DISTANCE_INVERSE, .inverse), (PARLEY_DISTANCE_INVERSE_CLAMPED, .inverseClamped),
    (PARLEY_DISTANCE_LINEAR, .linear), (PARLEY_DISTANCE_LINEAR_CLAMPED, .linearClamped),
    (PARLEY_DISTANCE_EXPONENT, .exponent), (PARLEY_DISTANCE_EXPONENT_CLAMPED, .exponentClamped),
]

func distanceModel(_ m: DistanceModel) -> parley_distance_model {
    distanceModels.first { $0.1 == m }?.0 ?? PARLEY_DISTANCE_INVERSE_CLAMPED
}

func audioConfig(_ p: parley_audio_params) throws(RuntimeError) -> AudioOutputConfig {
    var c = AudioOutputConfig()
    if p.loopback_rate != 0 {
        c.device = .loopback(sampleRate: Int(p.loopback_rate))
    } else if let name = try string(p.device, "device") {
        c.device = .named(name)
    }
    guard let model = distanceModels.first(where: { $0.0 == p.distance_model })?.1 else {
        throw RuntimeError(.invalidArgument, "unknown distance model \(p.distance_model.rawValue)")
    }
    c.distanceModel = model
    c.referenceDistance = p.reference_distance
    c.rolloff = p.rolloff
    c.maxDistance = p.max_distance
    c.gain = p.gain
    try c.validate()
    return c
}

@_cdecl("parley_audio_open")
public func parley_audio_open(_ rt: OpaquePointer?, _ params: UnsafePointer<parley_audio_params>?) -> parley_status {
    guard let rt else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_audio_open: rt is NULL") }
    guard let h = handle(rt) else { return notLive(#function, "rt") }
    if let refused = h.refuseOffThread(#function) { return refused }
    guard !h.polling else { return fail(PARLEY_ERR_INVALID_STATE, "parley_audio_open: called from inside parley_poll") }
    var p = parley_audio_default_params()
    if let params {
        do throws(StructSizeError) {
            p = try VersionedStruct.read(params, defaults: p, v1Size: audioParamsV1Size, "parley_audio_open")
        } catch {
            return fail(error)
        }
    }
    do throws(RuntimeError) {
        try h.runtime.openAudio(try audioConfig(p))
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_audio_open: " + error.message))
    }
}

@_cdecl("parley_audio_render")
public func parley_audio_render(_ rt: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ frames: Int) -> parley_status {
    guard let rt, let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_audio_render: rt and out must not be NULL") }
    guard let h = handle(rt) else { return notLive(#function, "rt") }
    if let refused = h.refuseOffThread(#function) { return refused }
    guard let output = h.runtime.audioOutput else {
        return fail(PARLEY_ERR_INVALID_STATE, "parley_audio_render: no audio output open (parley_audio_open with loopback_rate)")
    }
    do throws(RuntimeError) {
        let mix = try output.render(frames: frames)
        // render returns exactly 2 × frames floats, the size the caller promised
        mix.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { out.update(from: base, count: src.count) }
        }
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_audio_render: " + error.message))
    }
}

@_cdecl("parley_audio_close")
public func parley_audio_close(_ rt: OpaquePointer?) {
    guard let rt, let h = handle(rt), h.refuseOffThread(#function) == nil else { return }
    h.runtime.closeAudio()
}

/// Three floats from a caller's array, or nil for NULL.
private func vector(_ p: UnsafePointer<Float>?) -> SIMD3<Float>? {
    guard let p else { return nil }
    return SIMD3(p[0], p[1], p[2])
}

@_cdecl("parley_listener_set")
public func parley_listener_set(_ rt: OpaquePointer?, _ position: UnsafePointer<Float>?, _ velocity: UnsafePointer<Float>?,
                                _ at: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?) -> parley_status {
    guard let rt else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_listener_set: rt is NULL") }
    guard let h = handle(rt) else { return notLive(#function, "rt") }
    if let refused = h.refuseOffThread(#function) { return refused }
    let runtime = h.runtime
    var l = runtime.listener
    if let v = vector(position) { l.position = v }
    if let v = vector(velocity) { l.velocity = v }
    if let v = vector(at) { l.at = v }
    if let v = vector(up) { l.up = v }
    do throws(RuntimeError) {
        try runtime.setListener(l)
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_listener_set: " + error.message))
    }
}

@_cdecl("parley_npc_set_position")
public func parley_npc_set_position(_ npc: OpaquePointer?, _ position: UnsafePointer<Float>?) -> parley_status {
    guard let npc, let p = vector(position) else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_set_position: npc and position must not be NULL")
    }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do throws(RuntimeError) {
        try h.owner.runtime.setPosition(h.npc, x: p.x, y: p.y, z: p.z)
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_npc_set_position: " + error.message))
    }
}

@_cdecl("parley_npc_set_velocity")
public func parley_npc_set_velocity(_ npc: OpaquePointer?, _ velocity: UnsafePointer<Float>?) -> parley_status {
    guard let npc, let v = vector(velocity) else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_set_velocity: npc and velocity must not be NULL")
    }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do throws(RuntimeError) {
        try h.owner.runtime.setVelocity(h.npc, x: v.x, y: v.y, z: v.z)
        return PARLEY_OK
    } catch {
        return fail(RuntimeError(error.kind, "parley_npc_set_velocity: " + error.message))
    }
}

@_cdecl("parley_npc_is_speaking")
public func parley_npc_is_speaking(_ npc: OpaquePointer?) -> Int32 {
    guard let npc, let h = npcHandle(npc), h.owner.refuseOffThread(#function) == nil else { return 0 }
    return h.owner.runtime.isSpeaking(h.npc) ? 1 : 0
}

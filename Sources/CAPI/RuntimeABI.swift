// parley_runtime_* and parley_poll: handles and event payload lifetimes.
import Kernels
import NPCRuntime
import ParleyABI

/// What a `parley_runtime*` points to: the runtime plus the storage that keeps
/// the last polled event's payloads alive until the next poll.
final class RuntimeHandle {
    let runtime: Runtime
    let heldText = HeldBuffer<CChar>()
    let heldName = HeldBuffer<CChar>()
    let heldSamples = HeldBuffer<Float>()
    /// NPC handles given out and not yet destroyed (freed with the runtime).
    var npcs: [UInt64: Unmanaged<NPCHandle>] = [:]

    init(runtime: Runtime) { self.runtime = runtime }

    deinit {
        runtime.shutdown()
        for h in npcs.values { h.release() }
    }
}

/// Heap storage whose address a C caller may keep until it is replaced.
final class HeldBuffer<T> {
    private var buffer = UnsafeMutableBufferPointer<T>(start: nil, count: 0)

    /// Replaces the contents; returns the new address (nil when empty).
    func hold(_ values: some Collection<T>) -> UnsafePointer<T>? {
        buffer.deallocate()
        buffer = .allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        return values.isEmpty ? nil : UnsafePointer(buffer.baseAddress)
    }

    deinit { buffer.deallocate() }
}

/// Bytes of parley_runtime_params up to and including `seed`, the first published version.
let runtimeParamsV1Size = MemoryLayout<parley_runtime_params>.size

@_cdecl("parley_runtime_default_params")
public func parley_runtime_default_params() -> parley_runtime_params {
    parley_runtime_params(struct_size: MemoryLayout<parley_runtime_params>.size,
                          model_path: nil, voice_path: nil, n_threads: 0, n_ctx: 0, seed: 0)
}

@_cdecl("parley_runtime_create")
public func parley_runtime_create(_ params: UnsafePointer<parley_runtime_params>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_create: out is NULL") }
    out.pointee = nil
    var p = parley_runtime_default_params()
    if let params {
        guard params.pointee.struct_size >= runtimeParamsV1Size else {
            return fail(PARLEY_ERR_STRUCT_SIZE,
                        "parley_runtime_create: struct_size \(params.pointee.struct_size) is smaller than \(runtimeParamsV1Size); fill params with parley_runtime_default_params()")
        }
        p = params.pointee
    }
    guard p.n_threads >= 0, p.n_threads <= 256 else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_create: n_threads \(p.n_threads) out of range 0…256")
    }
    guard p.n_ctx >= 0 else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_create: n_ctx \(p.n_ctx) is negative") }
    guard pk_engines_supported() == 1 else {
        return fail(PARLEY_ERR_UNSUPPORTED_CPU, "parley_runtime_create: " + String(cString: pk_engines_requirement()))
    }
    var config = RuntimeConfig(modelPath: p.model_path.map { String(cString: $0) },
                               voicePath: p.voice_path.map { String(cString: $0) })
    config.threads = Int(p.n_threads)
    config.contextLength = Int(p.n_ctx)
    config.seed = p.seed
    do {
        let runtime = try Runtime(config: config)
        out.pointee = OpaquePointer(Unmanaged.passRetained(RuntimeHandle(runtime: runtime)).toOpaque())
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_runtime_destroy")
public func parley_runtime_destroy(_ rt: OpaquePointer?) {
    guard let rt else { return }
    Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(rt)).release()
}

func handle(_ rt: OpaquePointer) -> RuntimeHandle {
    Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(rt)).takeUnretainedValue()
}

/// Bytes of parley_event up to and including `t_ms`, the first published version.
let eventV1Size = MemoryLayout<parley_event>.size

@_cdecl("parley_poll")
public func parley_poll(_ rt: OpaquePointer?, _ out: UnsafeMutablePointer<parley_event>?) -> parley_status {
    guard let rt, let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_poll: rt and out must not be NULL") }
    guard out.pointee.struct_size >= eventV1Size else {
        return fail(PARLEY_ERR_STRUCT_SIZE, "parley_poll: out->struct_size must be sizeof(parley_event)")
    }
    let h = handle(rt)
    var e = parley_event()
    e.struct_size = out.pointee.struct_size
    guard let event = h.runtime.events.poll() else {
        e.type = PARLEY_EVENT_NONE
        out.pointee = e
        return PARLEY_NO_EVENT
    }
    e.type = parley_event_type(rawValue: UInt32(bitPattern: event.kind.rawValue))
    e.status = event.errorKind.map(status(for:)) ?? PARLEY_OK
    e.npc_id = event.npcID
    e.turn_id = event.turnID
    e.text = h.heldText.hold(event.text?.utf8CString ?? [])
    e.text_len = event.text?.utf8.count ?? 0
    e.name = h.heldName.hold(event.name?.utf8CString ?? [])
    e.samples = h.heldSamples.hold(event.samples)
    e.n_samples = event.samples.count
    e.sample_rate = event.sampleRate
    e.start_sample = event.startSample
    e.end_sample = event.endSample
    e.t_ms = event.timeMs
    out.pointee = e
    return PARLEY_OK
}

// parley_runtime_* and parley_poll: handles and event payload lifetimes.
import Kernels
import ComputeRouter
import NPCRuntime
import ParleyABI
#if canImport(Glibc)
import Glibc
#endif

/// What a `parley_runtime*` points to: the runtime plus the storage that keeps
/// the last polled event's payloads alive until the next poll.
final class RuntimeHandle {
    let runtime: Runtime
    let heldText = HeldBuffer<CChar>()
    let heldName = HeldBuffer<CChar>()
    let heldSamples = HeldBuffer<Float>()
    let heldCallID = HeldBuffer<CChar>()
    let heldToolArguments = HeldBuffer<CChar>()
    /// Inside parley_poll (tool guards run there): a nested poll is refused.
    var polling = false
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

@_cdecl("parley_runtime_default_params")
public func parley_runtime_default_params() -> parley_runtime_params {
    // RuntimeConfig holds the defaults; the paths have none (NULL: no model, no voice).
    let c = RuntimeConfig()
    var p = parley_runtime_params()
    p.struct_size = MemoryLayout<parley_runtime_params>.size
    p.n_threads = Int32(clamping: c.threads)
    p.n_ctx = Int32(clamping: c.contextLength)
    p.seed = c.seed
    return p
}

@_cdecl("parley_runtime_create")
public func parley_runtime_create(_ params: UnsafePointer<parley_runtime_params>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_create: out is NULL") }
    out.pointee = nil
    var p = parley_runtime_default_params()
    if let params {
        do throws(StructSizeError) {
            p = try VersionedStruct.read(params, defaults: p, v1Size: runtimeParamsV1Size, "parley_runtime_create")
        } catch {
            return fail(error)
        }
    }
    guard pk_engines_supported() == 1 else {
        return fail(PARLEY_ERR_UNSUPPORTED_CPU, "parley_runtime_create: " + String(cString: pk_engines_requirement()))
    }
    do {
        var config = RuntimeConfig(modelPath: p.model_path.map { String(cString: $0) },
                                   voicePath: p.voice_path.map { String(cString: $0) })
        config.threads = Int(p.n_threads)
        config.contextLength = Int(p.n_ctx)
        config.seed = p.seed
        try config.validate()
        let runtime = try Runtime(config: config, router: PolicyRouter())
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

/// parley_event.type_name: C copies of `RuntimeEvent.Kind.name`, made once and kept
/// for the life of the process (the header promises static storage). Never mutated
/// after its lazy, thread-safe initialisation, hence nonisolated(unsafe).
nonisolated(unsafe) let eventTypeNames: [Int32: UnsafePointer<CChar>] = {
    var names: [Int32: UnsafePointer<CChar>] = [:]
    for kind in RuntimeEvent.Kind.allCases {
        if let copy = strdup(kind.name) { names[kind.rawValue] = UnsafePointer(copy) }
    }
    return names
}()
/// PARLEY_EVENT_NONE exists only in C, so its name lives here.
let noEventTypeName: StaticString = "none"

@_cdecl("parley_poll")
public func parley_poll(_ rt: OpaquePointer?, _ out: UnsafeMutablePointer<parley_event>?) -> parley_status {
    guard let rt, let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_poll: rt and out must not be NULL") }
    // Checked before taking an event, so a bad struct_size loses nothing.
    do throws(StructSizeError) {
        try VersionedStruct.checkSize(VersionedStruct.callerSize(out), v1Size: eventV1Size, "parley_poll")
    } catch {
        return fail(error)
    }
    let h = handle(rt)
    guard !h.polling else {
        return fail(PARLEY_ERR_INVALID_STATE, "parley_poll: called from inside a tool guard (guards must not poll)")
    }
    var e = parley_event()
    h.polling = true
    let polled = h.runtime.poll()
    h.polling = false
    guard let event = polled else {
        e.type = PARLEY_EVENT_NONE
        e.type_name = UnsafeRawPointer(noEventTypeName.utf8Start).assumingMemoryBound(to: CChar.self)
        return deliver(e, to: out, status: PARLEY_NO_EVENT)
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
    e.type_name = eventTypeNames[event.kind.rawValue]
    e.call_id = h.heldCallID.hold(event.callID?.utf8CString ?? [])
    e.tool_arguments = h.heldToolArguments.hold(event.toolArguments?.utf8CString ?? [])
    return deliver(e, to: out, status: PARLEY_OK)
}

private func deliver(_ e: parley_event, to out: UnsafeMutablePointer<parley_event>, status: parley_status) -> parley_status {
    do throws(StructSizeError) {
        try VersionedStruct.write(e, to: out, v1Size: eventV1Size, "parley_poll")
        return status
    } catch {
        return fail(error)
    }
}

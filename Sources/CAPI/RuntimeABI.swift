// parley_runtime_* and parley_poll: handles and event payload lifetimes.
import Kernels
import ComputeRouter
import LuaBindings
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
    /// The thread inside parley_poll, if any: a nested poll (from a tool guard) and a
    /// poll from a second thread at the same time are refused, since one poll's event
    /// payloads would be overwritten under the other.
    private let pollLock = Lock()
    private var pollingThread: pthread_t?
    /// The thread that last polled: the header reserves most calls to it, and the
    /// translation layer's own state (the NPC handle table) relies on that.
    private var gameThread: pthread_t?

    /// nil when this thread may poll now (and now polls); otherwise why not.
    func beginPoll() -> String? {
        pollLock.withLock {
            if let t = pollingThread {
                return pthread_equal(t, pthread_self()) != 0
                    ? "called from inside a tool guard (guards must not poll)"
                    : "called from a second thread while another thread polls (poll from one thread)"
            }
            pollingThread = pthread_self()
            gameThread = pollingThread
            return nil
        }
    }

    func endPoll() { pollLock.withLock { pollingThread = nil } }

    var polling: Bool { pollLock.withLock { pollingThread != nil } }

    /// PARLEY_ERR_INVALID_STATE when `function`, which the header reserves to the
    /// polling thread, is called from another thread after the runtime has been polled;
    /// nil when the call may go on. Before the first poll any one thread may set up.
    func refuseOffThread(_ function: String) -> parley_status? {
        let owner = pollLock.withLock { gameThread }
        guard let owner, pthread_equal(owner, pthread_self()) == 0 else { return nil }
        return fail(PARLEY_ERR_INVALID_STATE,
                    "\(cName(function)): called from a thread other than the one that polls this runtime (call it from the polling thread)")
    }
    /// NPC handles given out and not yet destroyed (freed with the runtime).
    var npcs: [UInt64: Unmanaged<NPCHandle>] = [:]
    /// The designer's scripts (parley_runtime_load_script), made on the first one.
    var script: EmbeddedScript?

    init(runtime: Runtime) { self.runtime = runtime }

    deinit {
        script = nil  // its NPCs are destroyed while the runtime still runs
        runtime.shutdown()
        for h in npcs.values where LiveHandles.removed(npc: h.toOpaque()) { h.release() }
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

/// The 0.1/0.2 symbol, for programs built against those headers: the caller's return
/// slot holds only the V1 layout, so it returns that layout (the current defaults, cut at V1).
@_cdecl("parley_runtime_default_params")
public func parley_runtime_default_params_v1() -> parley_runtime_params_v1 {
    var v1 = parley_runtime_params_v1()
    let full = parley_runtime_default_params_v2()
    withUnsafeBytes(of: full) { src in
        withUnsafeMutableBytes(of: &v1) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[..<min(src.count, dst.count)]))
        }
    }
    v1.struct_size = MemoryLayout<parley_runtime_params_v1>.size
    return v1
}

@_cdecl("parley_runtime_default_params_v2")
public func parley_runtime_default_params_v2() -> parley_runtime_params {
    // RuntimeConfig and RouterConfig hold the defaults; the paths have none (NULL: no model,
    // no voice, no remote). Remote timeouts and retries say "default" (0, -1) rather than
    // copying RemoteConfig's values, so a later default reaches callers who kept them.
    let c = RuntimeConfig()
    let r = RouterConfig()
    var p = parley_runtime_params()
    p.struct_size = MemoryLayout<parley_runtime_params>.size
    p.n_threads = Int32(clamping: c.threads)
    p.n_ctx = Int32(clamping: c.contextLength)
    p.seed = c.seed
    p.remote_first_byte_timeout_ms = 0
    p.remote_max_retries = -1
    p.router_threshold = Float(r.threshold)
    p.remote_token_budget = Int64(clamping: r.sessionTokenBudget)
    p.remote_tokens_per_minute = Int32(clamping: r.tokensPerMinute)
    p.router_latency_budget_ms = Int32(clamping: Int(exactly: r.latencyBudgetMs.rounded()) ?? 0)
    return p
}

/// The remote model of `p` (nil when remote_url is NULL), over RemoteConfig's defaults.
/// RemoteConfig.validate() judges the values; a negative timeout or retry count other
/// than the documented "default" markers reaches it as it is and is refused there.
func remoteConfig(_ p: parley_runtime_params) throws(RuntimeError) -> RemoteConfig? {
    guard let url = try string(p.remote_url, "remote_url") else { return nil }
    var c = RemoteConfig(baseURL: url, model: try string(p.remote_model, "remote_model") ?? "",
                         apiKey: try string(p.remote_api_key, "remote_api_key"))
    if p.remote_first_byte_timeout_ms != 0 { c.firstByteTimeoutMs = Int(p.remote_first_byte_timeout_ms) }
    if p.remote_max_retries != -1 { c.maxRetries = Int(p.remote_max_retries) }
    return c
}

func routerConfig(_ p: parley_runtime_params) -> RouterConfig {
    var c = RouterConfig()
    // Float → Double keeps NaN and infinities, so validate() refuses them by name.
    c.threshold = Double(p.router_threshold)
    c.sessionTokenBudget = Int(p.remote_token_budget)
    c.tokensPerMinute = Int(p.remote_tokens_per_minute)
    c.latencyBudgetMs = Double(p.router_latency_budget_ms)
    return c
}

@_cdecl("parley_runtime_create")
public func parley_runtime_create(_ params: UnsafePointer<parley_runtime_params>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> parley_status {
    guard let out else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_create: out is NULL") }
    out.pointee = nil
    var p = parley_runtime_default_params_v2()
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
        switch p.voice_precision {
        case Int32(PARLEY_VOICE_EXACT.rawValue): config.voicePrecision = .exact
        case Int32(PARLEY_VOICE_INT16.rawValue): config.voicePrecision = .int16
        default:
            return fail(PARLEY_ERR_INVALID_ARGUMENT,
                        "parley_runtime_create: voice_precision \(p.voice_precision) is not PARLEY_VOICE_EXACT (0) or PARLEY_VOICE_INT16 (1)")
        }
        try config.validate()
        // Checked before the model loads, so a bad remote setting fails fast.
        let setup = try RouterSetup(remote: try remoteConfig(p), router: routerConfig(p), seed: p.seed)
        let runtime = try Runtime(config: config, router: setup.router, remote: setup.remote)
        let handle = Unmanaged.passRetained(RuntimeHandle(runtime: runtime)).toOpaque()
        LiveHandles.added(runtime: handle)
        out.pointee = OpaquePointer(handle)
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("parley_runtime_destroy")
public func parley_runtime_destroy(_ rt: OpaquePointer?) {
    guard let rt, LiveHandles.removed(runtime: UnsafeRawPointer(rt)) else { return }  // NULL, or destroyed already
    Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(rt)).release()
}

/// The runtime behind `rt`; nil when `rt` is not a live handle.
func handle(_ rt: OpaquePointer) -> RuntimeHandle? {
    guard LiveHandles.isLive(runtime: UnsafeRawPointer(rt)) else { return nil }
    return Unmanaged<RuntimeHandle>.fromOpaque(UnsafeRawPointer(rt)).takeUnretainedValue()
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
    guard let h = handle(rt) else { return notLive(#function, "rt") }
    if let refused = h.beginPoll() { return fail(PARLEY_ERR_INVALID_STATE, "parley_poll: " + refused) }
    var e = parley_event()
    let polled = h.script.map { $0.poll() } ?? h.runtime.poll()
    h.endPoll()
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

@_cdecl("parley_runtime_load_script")
public func parley_runtime_load_script(_ rt: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> parley_status {
    guard let rt, let path else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_runtime_load_script: rt and path must not be NULL") }
    guard let h = handle(rt) else { return notLive(#function, "rt") }
    if let refused = h.refuseOffThread(#function) { return refused }
    guard !h.polling else { return fail(PARLEY_ERR_INVALID_STATE, "parley_runtime_load_script: called from inside parley_poll") }
    do throws(RuntimeError) {
        let script: EmbeddedScript
        if let existing = h.script { script = existing } else { script = try EmbeddedScript(runtime: h.runtime) }
        h.script = script
        try script.run(path: String(cString: path))
        return PARLEY_OK
    } catch {
        return fail(error)
    }
}

private func deliver(_ e: parley_event, to out: UnsafeMutablePointer<parley_event>, status: parley_status) -> parley_status {
    do throws(StructSizeError) {
        try VersionedStruct.write(e, to: out, v1Size: eventV1Size, "parley_poll")
        return status
    } catch {
        return fail(error)
    }
}

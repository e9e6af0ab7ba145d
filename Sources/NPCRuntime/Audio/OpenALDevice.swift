import COpenAL

/// One OpenAL device and its context. Every AL call goes through `withContext`,
/// which makes our context current for the calling thread only
/// (ALC_EXT_thread_local_context) and restores what was current before, so a
/// game that drives OpenAL itself (LÖVE does) keeps its own context.
/// Not thread-safe by itself: `AudioOutput` serialises calls.
final class OpenALDevice {
    let device: OpaquePointer
    let context: OpaquePointer
    let isLoopback: Bool
    /// Mixing rate (Hz): asked for on a loopback device, reported by a real one.
    let sampleRate: Int
    /// AL_EXT_FLOAT32: buffers take our float PCM as it is (else converted to int16).
    let acceptsFloat: Bool
    let name: String
    private let setThreadContext: PFNALCSETTHREADCONTEXTPROC?
    private let getThreadContext: PFNALCGETTHREADCONTEXTPROC?
    private let renderSamples: LPALCRENDERSAMPLESSOFT?
    private let hasDisconnect: Bool

    init(_ which: AudioOutputConfig.Device) throws(RuntimeError) {
        var attributes: [ALCint] = []
        var render: LPALCRENDERSAMPLESSOFT? = nil
        let opened: OpaquePointer?
        switch which {
        case .systemDefault:
            opened = alcOpenDevice(nil)
        case let .named(name):
            opened = alcOpenDevice(name)
        case let .loopback(rate):
            guard alcIsExtensionPresent(nil, "ALC_SOFT_loopback") != 0,
                  let openLoopback = alcGetProcAddress(nil, "alcLoopbackOpenDeviceSOFT"),
                  let renderFn = alcGetProcAddress(nil, "alcRenderSamplesSOFT") else {
                throw RuntimeError(.audioDevice, "this OpenAL has no loopback device (ALC_SOFT_loopback)")
            }
            let open = unsafeBitCast(openLoopback, to: LPALCLOOPBACKOPENDEVICESOFT.self)
            render = unsafeBitCast(renderFn, to: LPALCRENDERSAMPLESSOFT.self)
            opened = open(nil)
            // Plain stereo panning, no HRTF: what tests read back must not depend on a user's config.
            attributes = [ALC_FORMAT_CHANNELS_SOFT, ALC_STEREO_SOFT, ALC_FORMAT_TYPE_SOFT, ALC_FLOAT_SOFT,
                          ALC_FREQUENCY, ALCint(rate), ALC_HRTF_SOFT, ALC_FALSE]
        }
        guard let device = opened else {
            let what: String
            switch which {
            case .systemDefault: what = "the default audio device"
            case let .named(name): what = "audio device \"\(name.prefix(200))\""
            case .loopback: what = "a loopback audio device"
            }
            throw RuntimeError(.audioDevice, "cannot open \(what) (OpenAL Soft found no usable output; "
                               + "ALSOFT_DRIVERS=null gives a silent one); AUDIO events still flow")
        }
        attributes.append(0)
        guard let context = alcCreateContext(device, attributes) else {
            let code = alcGetError(device)
            alcCloseDevice(device)
            throw RuntimeError(.audioDevice, "cannot create an OpenAL context (ALC error 0x\(String(code, radix: 16)))")
        }
        self.device = device
        self.context = context
        self.renderSamples = render
        if case .loopback = which { isLoopback = true } else { isLoopback = false }
        if alcIsExtensionPresent(device, "ALC_EXT_thread_local_context") != 0,
           let set = alcGetProcAddress(device, "alcSetThreadContext"),
           let get = alcGetProcAddress(device, "alcGetThreadContext") {
            setThreadContext = unsafeBitCast(set, to: PFNALCSETTHREADCONTEXTPROC.self)
            getThreadContext = unsafeBitCast(get, to: PFNALCGETTHREADCONTEXTPROC.self)
        } else {
            setThreadContext = nil
            getThreadContext = nil
        }
        hasDisconnect = alcIsExtensionPresent(device, "ALC_EXT_disconnect") != 0
        var rate: ALCint = 0
        alcGetIntegerv(device, ALC_FREQUENCY, 1, &rate)
        if case let .loopback(asked) = which { sampleRate = asked } else { sampleRate = Int(max(0, rate)) }
        name = alcGetString(device, ALC_DEVICE_SPECIFIER).map { String(cString: $0) } ?? "OpenAL device"
        var float = false
        let probe = context
        // the probe runs before `self` is whole, so it switches contexts by hand
        float = Self.inContext(probe, set: setThreadContext, get: getThreadContext) {
            alIsExtensionPresent("AL_EXT_FLOAT32") != 0
        }
        acceptsFloat = float
    }

    deinit {
        if alcGetCurrentContext() == context { alcMakeContextCurrent(nil) }
        if let getThreadContext, let setThreadContext, getThreadContext() == context { _ = setThreadContext(nil) }
        alcDestroyContext(context)
        alcCloseDevice(device)
    }

    /// Runs AL calls with our context current on this thread, then restores the previous one.
    func withContext<T>(_ body: () -> T) -> T {
        Self.inContext(context, set: setThreadContext, get: getThreadContext, body)
    }

    private static func inContext<T>(_ context: OpaquePointer, set: PFNALCSETTHREADCONTEXTPROC?,
                                     get: PFNALCGETTHREADCONTEXTPROC?, _ body: () -> T) -> T {
        if let set, let get {
            let previous = get()
            if previous != context { _ = set(context) }
            defer { if previous != context { _ = set(previous) } }
            return body()
        }
        // Without thread-local contexts: switch the process-wide one and put it back.
        let previous = alcGetCurrentContext()
        if previous != context { alcMakeContextCurrent(context) }
        defer { if previous != context { alcMakeContextCurrent(previous) } }
        return body()
    }

    /// False once the device was unplugged or its backend died (ALC_EXT_disconnect).
    var isConnected: Bool {
        guard hasDisconnect else { return true }
        var connected: ALCint = 1
        alcGetIntegerv(device, ALC_CONNECTED, 1, &connected)
        return connected != 0
    }

    /// Mixes `frames` stereo frames into `out` (interleaved L R floats); loopback devices only.
    func render(_ out: UnsafeMutableBufferPointer<Float>, frames: Int) -> Bool {
        guard let renderSamples, let base = out.baseAddress, out.count >= frames * 2,
              let n = ALCsizei(exactly: frames) else { return false }
        renderSamples(device, base, n)
        return true
    }
}

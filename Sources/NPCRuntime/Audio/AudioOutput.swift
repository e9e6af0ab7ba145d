import COpenAL

/// Positioned speech through OpenAL: one streaming source per voice, a listener,
/// a distance model. It knows voices by number and PCM by chunk, nothing about
/// NPCs or turns (the runtime's `AudioFeed` maps events onto it).
/// Thread-safe: one lock serialises every OpenAL call, but the runtime only calls
/// it from the thread that polls events, so no worker ever waits on audio.
public final class AudioOutput: @unchecked Sendable {
    public let config: AudioOutputConfig
    /// Voices that may have a source at once (OpenAL Soft mixes 256 mono sources by default).
    public static let maxVoices = 64
    /// PCM a voice may hold beyond OpenAL's buffers (seconds at the chunk's rate, 22,050 Hz here).
    public static let maxPendingSeconds = 60

    private let lock = Lock()
    private let device: OpenALDevice
    private var listener = Listener()

    private struct Voice {
        var position: SIMD3<Float> = .zero
        var velocity: SIMD3<Float> = .zero
        var gain: Float = 1
        var source: StreamingSource?
    }
    private var voices: [UInt64: Voice] = [:]

    /// Opens the configured device and sets the listener and distance model.
    public init(_ config: AudioOutputConfig) throws(RuntimeError) {
        try config.validate()
        self.config = config
        device = try OpenALDevice(config.device)
        device.withContext {
            alDistanceModel(Self.alModel(config.distanceModel))
            alListenerf(AL_GAIN, config.gain)
        }
        applyListener()
    }

    deinit {
        device.withContext { for v in voices.values { v.source?.release() } }
    }

    /// The device's OpenAL name, for logs.
    public var deviceName: String { device.name }
    /// The mixing rate in Hz (0 if the device did not say).
    public var sampleRate: Int { device.sampleRate }
    /// False once the device was unplugged or its backend failed.
    public var isConnected: Bool { lock.withLock { device.isConnected } }

    public func setListener(_ l: Listener) throws(RuntimeError) {
        try l.validate()
        lock.withLock { listener = l }
        applyListener()
    }

    public var currentListener: Listener { lock.withLock { listener } }

    private func applyListener() {
        lock.withLock {
            let l = listener
            device.withContext {
                alListener3f(AL_POSITION, l.position.x, l.position.y, l.position.z)
                alListener3f(AL_VELOCITY, l.velocity.x, l.velocity.y, l.velocity.z)
                let orientation: [ALfloat] = [l.at.x, l.at.y, l.at.z, l.up.x, l.up.y, l.up.z]
                alListenerfv(AL_ORIENTATION, orientation)
            }
        }
    }

    /// Places a voice (kept for its next chunk if it has no source yet). Non-finite values are refused.
    public func place(voice id: UInt64, position: SIMD3<Float>? = nil, velocity: SIMD3<Float>? = nil) throws(RuntimeError) {
        for v in [position, velocity].compactMap({ $0 }) where !(v.x.isFinite && v.y.isFinite && v.z.isFinite) {
            throw RuntimeError(.invalidArgument, "voice position and velocity must be finite numbers")
        }
        lock.withLock {
            var v = voices[id] ?? Voice()
            if let position { v.position = position }
            if let velocity { v.velocity = velocity }
            voices[id] = v
            if let source = v.source { device.withContext { source.place(position: v.position, velocity: v.velocity) } }
        }
    }

    /// A voice's own gain (0…16), on top of the listener's.
    public func setGain(voice id: UInt64, _ gain: Float) throws(RuntimeError) {
        try AudioOutputConfig.check(gain, AudioOutputConfig.gains, "voice gain")
        lock.withLock {
            voices[id, default: Voice()].gain = gain
            if let source = voices[id]?.source { device.withContext { source.setGain(gain) } }
        }
    }

    /// Queues a chunk of mono PCM for a voice; playback starts at once. Throws when
    /// no source can be had (too many voices, or OpenAL refused one); PCM beyond the
    /// voice's pending bound is dropped (`droppedSamples`).
    public func play(voice id: UInt64, samples: [Float], sampleRate: Int32) throws(RuntimeError) {
        try lock.withLock { () throws(RuntimeError) in
            var v = voices[id] ?? Voice()
            let source: StreamingSource
            if let s = v.source {
                source = s
            } else {
                guard voices.values.filter({ $0.source != nil }).count < Self.maxVoices else {
                    throw RuntimeError(.audioDevice, "more than \(Self.maxVoices) voices playing at once")
                }
                let made = device.withContext { () -> Result<StreamingSource, RuntimeError> in
                    do throws(RuntimeError) {
                        let s = try StreamingSource(acceptsFloat: device.acceptsFloat,
                                                    maxPendingSamples: Self.maxPendingSeconds * Int(min(max(sampleRate, 8000), 192_000)))
                        s.setDistance(reference: config.referenceDistance, rolloff: config.rolloff, max: config.maxDistance)
                        s.place(position: v.position, velocity: v.velocity)
                        s.setGain(v.gain)
                        return .success(s)
                    } catch { return .failure(error) }
                }
                source = try made.get()
                v.source = source
                voices[id] = v
            }
            device.withContext {
                source.enqueue(samples, sampleRate: sampleRate)
                source.pump()
            }
        }
    }

    /// Silences a voice now and drops what it had queued (barge-in, a cancelled turn).
    public func stop(voice id: UInt64) {
        lock.withLock {
            guard let source = voices[id]?.source else { return }
            device.withContext { source.flush() }
        }
    }

    /// Stops a voice and frees its source.
    public func remove(voice id: UInt64) {
        lock.withLock {
            guard let v = voices.removeValue(forKey: id) else { return }
            if let source = v.source { device.withContext { source.release() } }
        }
    }

    /// Recycles played buffers and refills them; call often (each poll that drains the queue).
    public func update() {
        lock.withLock {
            device.withContext { for v in voices.values { v.source?.pump() } }
        }
    }

    /// True while the voice has audio queued or playing.
    public func isPlaying(voice id: UInt64) -> Bool {
        lock.withLock {
            guard let source = voices[id]?.source else { return false }
            return device.withContext { source.isActive }
        }
    }

    /// True while any voice is playing.
    public var isPlaying: Bool {
        lock.withLock { device.withContext { voices.values.contains { $0.source?.isActive == true } } }
    }

    /// Samples dropped because a voice's pending PCM was full.
    public func droppedSamples(voice id: UInt64) -> Int {
        lock.withLock { voices[id]?.source?.droppedSamples ?? 0 }
    }

    /// Loopback devices only: mixes the next `frames` stereo frames (interleaved L, R
    /// floats), refilling every voice first so rendering in steps streams like a device.
    public func render(frames: Int) throws(RuntimeError) -> [Float] {
        guard device.isLoopback else { throw RuntimeError(.invalidState, "render needs a loopback audio device") }
        guard frames > 0, frames <= 1 << 20 else { throw RuntimeError(.invalidArgument, "render: frames must be 1…1048576") }
        var out = [Float](repeating: 0, count: frames * 2)
        lock.withLock {
            device.withContext {
                for v in voices.values { v.source?.pump() }
                _ = out.withUnsafeMutableBufferPointer { device.render($0, frames: frames) }
            }
        }
        return out
    }

    static func alModel(_ m: DistanceModel) -> ALenum {
        switch m {
        case .none: AL_NONE
        case .inverse: AL_INVERSE_DISTANCE
        case .inverseClamped: AL_INVERSE_DISTANCE_CLAMPED
        case .linear: AL_LINEAR_DISTANCE
        case .linearClamped: AL_LINEAR_DISTANCE_CLAMPED
        case .exponent: AL_EXPONENT_DISTANCE
        case .exponentClamped: AL_EXPONENT_DISTANCE_CLAMPED
        }
    }
}

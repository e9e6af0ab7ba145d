import COpenAL

/// One positioned voice: an OpenAL source fed by a fixed pool of buffers, the
/// pattern of OpenAL Soft's examples/alstream.c: unqueue the buffers played,
/// refill them from the PCM waiting here, queue them again, and restart the
/// source if it ran dry. Memory is bounded: the pool, plus at most
/// `maxPendingSamples` of PCM not yet handed to OpenAL (the rest is dropped and
/// counted). Call only inside `OpenALDevice.withContext`, from one thread at a time.
final class StreamingSource {
    /// 2,048 samples is 93 ms at 22,050 Hz: small enough that the first buffer
    /// starts at once, and 12 of them (1.1 s) ride out a game's slow frames.
    static let bufferSamples = 2048
    static let bufferCount = 12

    let source: ALuint
    private var buffers: [ALuint]
    private var free: [ALuint]
    /// PCM waiting for a free buffer: chunks with their rates, oldest first.
    private var pending: [(rate: Int32, samples: [Float])] = []
    private var pendingHead = 0
    /// Samples of pending[pendingHead] already handed to OpenAL.
    private var pendingOffset = 0
    private(set) var pendingSamples = 0
    let maxPendingSamples: Int
    private(set) var droppedSamples = 0
    private let acceptsFloat: Bool
    /// int16 staging for an OpenAL without AL_EXT_FLOAT32 (allocated once).
    private var int16Scratch: [Int16]

    init(acceptsFloat: Bool, maxPendingSamples: Int) throws(RuntimeError) {
        var s: ALuint = 0
        _ = alGetError()
        alGenSources(1, &s)
        guard alGetError() == AL_NO_ERROR else {
            throw RuntimeError(.audioDevice, "OpenAL has no free source for another voice")
        }
        var b = [ALuint](repeating: 0, count: Self.bufferCount)
        alGenBuffers(ALsizei(Self.bufferCount), &b)
        guard alGetError() == AL_NO_ERROR else {
            alDeleteSources(1, &s)
            throw RuntimeError(.audioDevice, "OpenAL cannot make buffers for another voice")
        }
        source = s
        buffers = b
        free = b
        self.acceptsFloat = acceptsFloat
        self.maxPendingSamples = max(Self.bufferSamples, maxPendingSamples)
        int16Scratch = acceptsFloat ? [] : [Int16](repeating: 0, count: Self.bufferSamples)
        // Mono PCM is what OpenAL positions; the listener-relative flag stays off.
        alSourcei(source, AL_SOURCE_RELATIVE, AL_FALSE)
        alSourcei(source, AL_LOOPING, AL_FALSE)
    }

    /// Stops and frees the source and its buffers.
    func release() {
        flush()
        var s = source
        alDeleteSources(1, &s)
        alDeleteBuffers(ALsizei(buffers.count), &buffers)
    }

    /// Adds a chunk; returns false (and drops what does not fit) past the pending bound.
    @discardableResult
    func enqueue(_ samples: [Float], sampleRate: Int32) -> Bool {
        guard !samples.isEmpty, sampleRate > 0 else { return true }
        let room = maxPendingSamples - pendingSamples
        let kept = min(room, samples.count)
        droppedSamples += samples.count - kept
        guard kept > 0 else { return false }
        pending.append((sampleRate, kept == samples.count ? samples : Array(samples.prefix(kept))))
        pendingSamples += kept
        return kept == samples.count
    }

    /// Recycles played buffers, refills them, and (re)starts playback when there is
    /// something queued and the source is not playing. Cheap when idle.
    func pump() {
        var processed: ALint = 0
        alGetSourcei(source, AL_BUFFERS_PROCESSED, &processed)
        if processed > 0 {
            var done = [ALuint](repeating: 0, count: Int(processed))
            alSourceUnqueueBuffers(source, processed, &done)
            free += done
        }
        var queuedAny = false
        while pendingSamples > 0, let buffer = free.last {
            guard fill(buffer) else { break }
            var b = buffer
            alSourceQueueBuffers(source, 1, &b)
            free.removeLast()
            queuedAny = true
        }
        var state: ALint = 0
        alGetSourcei(source, AL_SOURCE_STATE, &state)
        var queued: ALint = 0
        alGetSourcei(source, AL_BUFFERS_QUEUED, &queued)
        // Starts on the first chunk; restarts after running dry (a slow frame, or a pause between sentences).
        if state != AL_PLAYING && state != AL_PAUSED && queued > 0 && (queuedAny || state == AL_INITIAL) {
            alSourcePlay(source)
        }
    }

    /// Up to one buffer of the oldest pending chunk into `buffer`.
    private func fill(_ buffer: ALuint) -> Bool {
        guard pendingHead < pending.count else { return false }
        let chunk = pending[pendingHead]
        let start = pendingOffset
        let n = min(Self.bufferSamples, chunk.samples.count - start)
        guard n > 0 else { return false }
        chunk.samples.withUnsafeBufferPointer { all in
            // start + n ≤ all.count by the line above
            guard let base = all.baseAddress?.advanced(by: start) else { return }
            if acceptsFloat {
                alBufferData(buffer, AL_FORMAT_MONO_FLOAT32, base, ALsizei(n * MemoryLayout<Float>.size), chunk.rate)
            } else {
                int16Scratch.withUnsafeMutableBufferPointer { out in
                    // n ≤ bufferSamples = out.count
                    for i in 0..<n { out[i] = Int16((max(-1, min(1, base[i])) * 32767).rounded()) }
                    alBufferData(buffer, AL_FORMAT_MONO16, out.baseAddress, ALsizei(n * MemoryLayout<Int16>.size), chunk.rate)
                }
            }
        }
        pendingOffset += n
        pendingSamples -= n
        if pendingOffset == chunk.samples.count {
            pending[pendingHead].samples = []
            pendingHead += 1
            pendingOffset = 0
            if pendingHead == pending.count { pending.removeAll(keepingCapacity: true); pendingHead = 0 }
        }
        return true
    }

    /// Silences the voice at once and forgets everything queued (barge-in).
    func flush() {
        alSourceStop(source)
        // A stopped source may drop its whole queue in one call.
        alSourcei(source, AL_BUFFER, 0)
        free = buffers
        pending.removeAll(keepingCapacity: true)
        pendingHead = 0
        pendingOffset = 0
        pendingSamples = 0
    }

    /// True while anything is queued in OpenAL or waiting here.
    var isActive: Bool {
        if pendingSamples > 0 { return true }
        var state: ALint = 0
        alGetSourcei(source, AL_SOURCE_STATE, &state)
        return state == AL_PLAYING
    }

    func place(position p: SIMD3<Float>, velocity v: SIMD3<Float>) {
        alSource3f(source, AL_POSITION, p.x, p.y, p.z)
        alSource3f(source, AL_VELOCITY, v.x, v.y, v.z)
    }

    func setDistance(reference: Float, rolloff: Float, max: Float) {
        alSourcef(source, AL_REFERENCE_DISTANCE, reference)
        alSourcef(source, AL_ROLLOFF_FACTOR, rolloff)
        alSourcef(source, AL_MAX_DISTANCE, max)
    }

    func setGain(_ gain: Float) { alSourcef(source, AL_GAIN, gain) }
}

/// The runtime's side of positioned speech: maps the events the game polls onto
/// an `AudioOutput` (AUDIO → the NPC's voice at the NPC's position; a cancelled
/// or barged-in turn → that voice silenced, and its AUDIO still in the queue
/// skipped). It runs on the thread that polls, so no worker touches OpenAL, and
/// the events themselves pass through unchanged: a game that plays PCM itself
/// sees exactly what it saw without an output.
final class AudioFeed: @unchecked Sendable {
    private let lock = Lock()
    private var output: AudioOutput?
    /// Per NPC: the newest turn whose audio must not play (turn ids only grow).
    private var silencedThrough: [UInt64: UInt64] = [:]
    /// Per NPC: velocity set by the game (kept so it survives opening the output later).
    private var velocities: [UInt64: SIMD3<Float>] = [:]
    /// The game's listener, applied to every output opened.
    private(set) var listener = Listener()
    private var reportedLoss = false
    /// Per NPC: the last turn whose playback failure was reported (one ERROR per turn, not per chunk).
    private var reportedFailure: [UInt64: UInt64] = [:]

    var current: AudioOutput? { lock.withLock { output } }

    /// Makes `new` the output (nil closes it), with the game's listener and velocities.
    func attach(_ new: AudioOutput?) throws(RuntimeError) {
        let (l, v) = lock.withLock { (listener, velocities) }
        try new?.setListener(l)
        for (id, velocity) in v { try new?.place(voice: id, velocity: velocity) }
        lock.withLock {
            output = new
            reportedLoss = false
        }
    }

    func setListener(_ l: Listener) throws(RuntimeError) {
        try l.validate()
        lock.withLock { listener = l }
        try current?.setListener(l)
    }

    /// Plays an AUDIO event, or silences the voice on a turn's cancelled DONE.
    /// Returns an ERROR event for the game when playback failed (once per NPC and turn).
    func deliver(_ e: RuntimeEvent, position: SIMD3<Float>?) -> RuntimeEvent? {
        guard let output = current else { return nil }
        switch e.kind {
        case .audio:
            let muted = lock.withLock { silencedThrough[e.npcID].map { e.turnID <= $0 } ?? false }
            guard !muted, !e.samples.isEmpty else { return nil }
            do throws(RuntimeError) {
                if let position { try output.place(voice: e.npcID, position: position) }
                try output.play(voice: e.npcID, samples: e.samples, sampleRate: e.sampleRate)
            } catch {
                let first = lock.withLock { () -> Bool in
                    defer { reportedFailure[e.npcID] = e.turnID }
                    return reportedFailure[e.npcID] != e.turnID
                }
                guard first else { return nil }
                return RuntimeEvent(kind: .error, errorKind: error.kind, npcID: e.npcID, turnID: e.turnID,
                                    text: "audio output: " + error.message + "; AUDIO events still flow")
            }
        case .done where e.errorKind == .cancelled:
            // cancel() and say() silenced it already; stopping again could cut a newer turn short
            let already = lock.withLock { (silencedThrough[e.npcID] ?? 0) >= e.turnID }
            if !already { silence(npcID: e.npcID, turnID: e.turnID) }
        default:
            break
        }
        return nil
    }

    /// Keeps every voice's buffers full; reports a lost device once.
    func pump() -> RuntimeEvent? {
        guard let output = current else { return nil }
        output.update()
        guard !output.isConnected else { return nil }
        let first = lock.withLock { () -> Bool in
            defer { reportedLoss = true }
            return !reportedLoss
        }
        guard first else { return nil }
        return RuntimeEvent(kind: .error, errorKind: .audioDevice,
                            text: "audio output: the device \"\(output.deviceName.prefix(200))\" was lost; AUDIO events still flow")
    }

    /// Stops the NPC's voice now and skips the rest of `turnID`'s audio (barge-in).
    func silence(npcID: UInt64, turnID: UInt64) {
        guard let output = current else { return }
        lock.withLock { silencedThrough[npcID] = max(silencedThrough[npcID] ?? 0, turnID) }
        output.stop(voice: npcID)
    }

    func place(npcID: UInt64, position: SIMD3<Float>? = nil, velocity: SIMD3<Float>? = nil) throws(RuntimeError) {
        if let v = velocity {
            guard v.x.isFinite, v.y.isFinite, v.z.isFinite else {
                throw RuntimeError(.invalidArgument, "velocity must be finite numbers")
            }
            lock.withLock { velocities[npcID] = v }
        }
        try current?.place(voice: npcID, position: position, velocity: velocity)
    }

    func forget(npcID: UInt64) {
        lock.withLock {
            silencedThrough.removeValue(forKey: npcID)
            velocities.removeValue(forKey: npcID)
            reportedFailure.removeValue(forKey: npcID)
        }
        current?.remove(voice: npcID)
    }
}

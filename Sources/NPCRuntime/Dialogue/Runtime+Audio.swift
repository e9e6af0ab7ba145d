/// Positioned playback of the NPCs' speech (optional: AUDIO events flow either way).
/// The output is fed from `poll()`, on the game's thread.
extension Runtime {
    /// Opens an OpenAL output and plays every NPC's speech from its position, from the
    /// first chunk on; replaces an output already open. On failure (no device) it
    /// throws `.audioDevice`, queues the same message as an ERROR event, and the
    /// runtime carries on without playback.
    @discardableResult
    public func openAudio(_ config: AudioOutputConfig = AudioOutputConfig()) throws(RuntimeError) -> AudioOutput {
        closeAudio()
        do throws(RuntimeError) {
            let output = try AudioOutput(config)
            try audioFeed.attach(output)
            return output
        } catch {
            if error.kind == .audioDevice { events.push(RuntimeEvent(kind: .error, errorKind: .audioDevice, text: error.message)) }
            throw error
        }
    }

    /// Stops playback and closes the device (nothing if none is open).
    public func closeAudio() {
        try? audioFeed.attach(nil)  // attaching nil cannot fail
    }

    /// The open output, if any.
    public var audioOutput: AudioOutput? { audioFeed.current }

    /// Where the player's ears are; kept for outputs opened later.
    public func setListener(_ listener: Listener) throws(RuntimeError) {
        try audioFeed.setListener(listener)
    }

    public var listener: Listener { audioFeed.listener }

    /// The NPC's velocity (world units per second), for Doppler shift.
    public func setVelocity(_ npc: NPC, x: Float, y: Float, z: Float) throws(RuntimeError) {
        try audioFeed.place(npcID: npc.id, velocity: SIMD3(x, y, z))
    }

    /// True while the NPC's speech is still playing through the output.
    public func isSpeaking(_ npc: NPC) -> Bool {
        audioFeed.current?.isPlaying(voice: npc.id) ?? false
    }
}

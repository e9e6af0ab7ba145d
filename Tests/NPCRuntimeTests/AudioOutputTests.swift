import Foundation
import Testing
@testable import NPCRuntime

/// Positioned playback through OpenAL Soft's loopback device (no sound card):
/// what the runtime feeds from poll() is read back as stereo and measured.
@Suite(.serialized) struct AudioOutputTests {
    static let rate = 22_050
    static let mixRate = 44_100

    func loopbackRuntime() throws -> Runtime {
        let rt = try Runtime(config: RuntimeConfig())
        var c = AudioOutputConfig()
        c.device = .loopback(sampleRate: Self.mixRate)
        try rt.openAudio(c)
        return rt
    }

    func tone(_ hz: Double, seconds: Double, amplitude: Float = 0.3) -> [Float] {
        (0..<Int(seconds * Double(Self.rate))).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / Double(Self.rate))) }
    }

    func audio(_ npc: NPC, turn: UInt64, _ samples: [Float]) -> RuntimeEvent {
        var e = RuntimeEvent(kind: .audio, npcID: npc.id, turnID: turn)
        e.samples = samples
        e.sampleRate = Int32(Self.rate)
        return e
    }

    /// Drains the queue (feeding the output), renders `seconds` in 1,024-frame steps
    /// as a game's frames would; returns the interleaved stereo mix.
    func play(_ rt: Runtime, seconds: Double) throws -> [Float] {
        var mix: [Float] = []
        let frames = 1024
        for _ in 0..<Int((seconds * Double(Self.mixRate)) / Double(frames)) {
            while rt.poll() != nil {}
            let output = try #require(rt.audioOutput)
            mix += try output.render(frames: frames)
        }
        return mix
    }

    /// Power of one frequency in one channel (Goertzel), so two voices mixed at once
    /// can be measured apart.
    func power(_ stereo: [Float], channel: Int, hz: Double) -> Double {
        let k = 2 * cos(2 * Double.pi * hz / Double(Self.mixRate))
        var s1 = 0.0, s2 = 0.0
        var i = channel
        while i < stereo.count {
            let s0 = Double(stereo[i]) + k * s1 - s2
            s2 = s1
            s1 = s0
            i += 2
        }
        return s1 * s1 + s2 * s2 - k * s1 * s2
    }

    func db(_ a: Double, over b: Double) -> Double { 10 * log10(max(a, 1e-30) / max(b, 1e-30)) }

    @Test func twoNPCsAreHeardWhereTheyStand() throws {
        let rt = try loopbackRuntime()
        let left = try rt.createNPC(NPCConfig(name: "West", persona: ""))
        let right = try rt.createNPC(NPCConfig(name: "East", persona: ""))
        try rt.setPosition(left, x: -3, y: 0, z: 0)
        try rt.setPosition(right, x: 3, y: 0, z: 0)
        // listener at the origin facing -z (the default orientation): +x is to the right
        try rt.setListener(Listener())
        rt.events.push(audio(left, turn: 1, tone(440, seconds: 1)))
        rt.events.push(audio(right, turn: 2, tone(1000, seconds: 1)))

        let mix = try play(rt, seconds: 1)
        // playback starts on the first chunk: the very first rendered block already sounds
        let firstBlock = mix.prefix(2048).reduce(0) { $0 + Double($1 * $1) }
        #expect(firstBlock > 0.01)
        let west = db(power(mix, channel: 0, hz: 440), over: power(mix, channel: 1, hz: 440))
        let east = db(power(mix, channel: 1, hz: 1000), over: power(mix, channel: 0, hz: 1000))
        print("loopback: West (x=-3) left over right \(String(format: "%.1f", west)) dB; East (x=+3) right over left \(String(format: "%.1f", east)) dB")
        #expect(west > 3)
        #expect(east > 3)

        // the listener turns around (facing +z): the sides swap
        var turned = Listener()
        turned.at = SIMD3(0, 0, 1)
        try rt.setListener(turned)
        rt.events.push(audio(left, turn: 3, tone(440, seconds: 0.5)))
        let back = try play(rt, seconds: 0.5)
        #expect(db(power(back, channel: 1, hz: 440), over: power(back, channel: 0, hz: 440)) > 3)
    }

    @Test func fartherIsQuieter() throws {
        let rt = try loopbackRuntime()
        let near = try rt.createNPC(NPCConfig(name: "Near", persona: ""))
        let far = try rt.createNPC(NPCConfig(name: "Far", persona: ""))
        try rt.setPosition(near, x: 0, y: 0, z: -1)
        try rt.setPosition(far, x: 0, y: 0, z: -8)
        rt.events.push(audio(near, turn: 1, tone(440, seconds: 0.5)))
        rt.events.push(audio(far, turn: 2, tone(1000, seconds: 0.5)))
        let mix = try play(rt, seconds: 0.5)
        // inverse distance, reference 1, rolloff 1: 1/8 the amplitude is -18 dB
        let drop = db(power(mix, channel: 0, hz: 440), over: power(mix, channel: 0, hz: 1000))
        #expect(drop > 12 && drop < 24, "near over far: \(drop) dB")
    }

    @Test func aCancelledTurnStopsAtOnce() throws {
        let rt = try loopbackRuntime()
        let npc = try rt.createNPC(NPCConfig(name: "Talker", persona: ""))
        rt.events.push(audio(npc, turn: 7, tone(440, seconds: 3)))
        let before = try play(rt, seconds: 0.2)
        #expect(power(before, channel: 0, hz: 440) > 1)
        #expect(rt.audioOutput?.isPlaying(voice: npc.id) == true)

        // the turn is cancelled; audio of it still in the queue must not play
        var done = RuntimeEvent(kind: .done, errorKind: .cancelled, npcID: npc.id, turnID: 7)
        done.text = ""
        rt.events.push(done)
        rt.events.push(audio(npc, turn: 7, tone(440, seconds: 1)))
        let passed = try play(rt, seconds: 0.3)
        // allow OpenAL's mixing latency (a few ms) before the silence
        let tail = Array(passed.suffix(passed.count / 2))
        #expect(tail.allSatisfy { $0 == 0 })
        #expect(rt.audioOutput?.isPlaying(voice: npc.id) == false)

        // the next turn plays again
        rt.events.push(audio(npc, turn: 8, tone(440, seconds: 0.3)))
        let next = try play(rt, seconds: 0.2)
        #expect(power(next, channel: 0, hz: 440) > 1)
    }

    @Test func aNewLineStopsTheOldSpeech() throws {
        let source = ScriptedReplySource(["Mara": [[.text("Hm.")]]])
        let rt = try Runtime(config: RuntimeConfig(), replySource: source)
        var c = AudioOutputConfig()
        c.device = .loopback(sampleRate: Self.mixRate)
        try rt.openAudio(c)
        let npc = try rt.createNPC(NPCConfig(name: "Mara", persona: ""))
        let first = try rt.say(npc, "Tell me a long story.")
        rt.events.push(audio(npc, turn: first, tone(440, seconds: 3)))
        #expect(power(try play(rt, seconds: 0.2), channel: 0, hz: 440) > 1)
        // the player speaks again while she talks: the old speech stops, queued or not
        let second = try rt.say(npc, "Stop.")
        rt.events.push(audio(npc, turn: first, tone(440, seconds: 1)))
        rt.events.push(audio(npc, turn: second, tone(1000, seconds: 0.5)))
        let after = try play(rt, seconds: 0.3)
        let old = power(after, channel: 0, hz: 440), new = power(after, channel: 0, hz: 1000)
        #expect(db(new, over: old) > 30, "new over old: \(db(new, over: old)) dB")
    }

    @Test func noDeviceIsAStatusAndAudioStillFlows() throws {
        let rt = try Runtime(config: RuntimeConfig())
        var c = AudioOutputConfig()
        c.device = .named("parley-no-such-device")
        #expect(throws: RuntimeError.self) { try rt.openAudio(c) }
        do { try rt.openAudio(c) } catch { #expect(error.kind == .audioDevice) }
        #expect(rt.audioOutput == nil)
        let error = try #require(rt.poll())
        #expect(error.kind == .error && error.errorKind == .audioDevice)
        #expect(error.text?.contains("AUDIO events still flow") == true)
        _ = rt.poll()  // the second attempt's ERROR
        let npc = try rt.createNPC(NPCConfig(name: "Mute", persona: ""))
        rt.events.push(audio(npc, turn: 1, tone(440, seconds: 0.1)))
        let e = try #require(rt.poll())
        #expect(e.kind == .audio && e.samples.count == Self.rate / 10)
    }

    @Test func pendingAudioIsBounded() throws {
        var c = AudioOutputConfig()
        c.device = .loopback(sampleRate: Self.mixRate)
        let output = try AudioOutput(c)
        let second = [Float](repeating: 0.1, count: Self.rate)
        for _ in 0..<(AudioOutput.maxPendingSeconds + 5) {
            try output.play(voice: 1, samples: second, sampleRate: Int32(Self.rate))
        }
        // OpenAL holds its buffers; beyond them, at most maxPendingSeconds wait here
        let dropped = output.droppedSamples(voice: 1)
        #expect(dropped > 0 && dropped <= 5 * Self.rate)
    }

    @Test func settingsAreChecked() throws {
        var c = AudioOutputConfig()
        c.gain = .nan
        #expect(throws: RuntimeError.self) { try c.validate() }
        c = AudioOutputConfig()
        c.referenceDistance = 0
        #expect(throws: RuntimeError.self) { try c.validate() }
        var l = Listener()
        l.up = l.at
        #expect(throws: RuntimeError.self) { try l.validate() }
        l = Listener()
        l.position.x = .infinity
        #expect(throws: RuntimeError.self) { try l.validate() }
    }
}

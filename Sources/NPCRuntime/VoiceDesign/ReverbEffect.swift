/// A Schroeder/Freeverb-style reverb written for mono voices: eight parallel
/// feedback combs with a one-pole low-pass in the loop (air and walls absorb highs),
/// then four series all-passes that diffuse the echoes. Delays are Freeverb's tuning
/// (mutually prime at 44.1 kHz) scaled to the sample rate and the room's size.
final class ReverbEffect: VoiceProcessor {
    struct Room {
        /// Delay-length multiplier (room size).
        var size: Double
        /// Comb feedback: the decay time.
        var feedback: Float
        /// High-frequency damping in the loop, 0…1.
        var damping: Float
        var wet: Float
        var dry: Float

        // Tuned by ear and by Whisper's word error rate: reverb about 15 dB under the dry
        // voice and RT60 under a second keep speech intelligible (a first cave at +5 dB wet,
        // feedback 0.88, made Whisper-base hallucinate whole sentences).
        static let hall = Room(size: 1.0, feedback: 0.74, damping: 0.35, wet: 0.18, dry: 0.9)
        static let cave = Room(size: 1.2, feedback: 0.8, damping: 0.2, wet: 0.15, dry: 0.9)
    }

    var latency: Int { 0 }
    private let room: Room
    private var combs: [[Float]]
    private var combIndex: [Int]
    private var combFilter: [Float]
    private var allpasses: [[Float]]
    private var allpassIndex: [Int]

    private static let combTuning = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617]
    private static let allpassTuning = [556, 441, 341, 225]

    init(room: Room, sampleRate: Int) {
        self.room = room
        let scale = Double(sampleRate) / 44100
        combs = Self.combTuning.map { [Float](repeating: 0, count: max(1, Int(Double($0) * scale * room.size))) }
        combIndex = [Int](repeating: 0, count: combs.count)
        combFilter = [Float](repeating: 0, count: combs.count)
        allpasses = Self.allpassTuning.map { [Float](repeating: 0, count: max(1, Int(Double($0) * scale))) }
        allpassIndex = [Int](repeating: 0, count: allpasses.count)
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        // Freeverb's fixed input gain keeps the comb sum near unity
        let inputGain: Float = 0.015
        for i in samples.indices {
            let x = samples[i]
            var sum: Float = 0
            for c in combs.indices {
                let j = combIndex[c]
                let out = combs[c][j]
                combFilter[c] = out * (1 - room.damping) + combFilter[c] * room.damping
                combs[c][j] = x * inputGain + combFilter[c] * room.feedback
                combIndex[c] = j + 1 == combs[c].count ? 0 : j + 1
                sum += out
            }
            for a in allpasses.indices {
                let j = allpassIndex[a]
                let delayed = allpasses[a][j]
                let out = delayed - sum
                allpasses[a][j] = sum + delayed * 0.5
                allpassIndex[a] = j + 1 == allpasses[a].count ? 0 : j + 1
                sum = out
            }
            samples[i] = x * room.dry + sum * room.wet * 3
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A construct's voice: ring modulation by a low sine (sidebands that are not
/// harmonics of the voice, the classic "Dalek" sound) mixed with the dry voice,
/// through a short feedback comb that adds a metallic resonance.
final class RobotEffect: VoiceProcessor {
    var latency: Int { 0 }
    private let carrier: Double = 55
    private let phaseStep: Double
    private var phase: Double = 0
    private var comb: [Float]
    private var index = 0

    init(sampleRate: Int) {
        phaseStep = 2 * Double.pi * carrier / Double(sampleRate)
        // 4 ms: a resonance at 250 Hz and its multiples
        comb = [Float](repeating: 0, count: max(1, sampleRate / 250))
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        for i in samples.indices {
            let ring = samples[i] * Float(sin(phase))
            phase += phaseStep
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            let x = 0.8 * ring + 0.35 * samples[i]
            let y = x + 0.45 * comb[index]
            comb[index] = y
            index = index + 1 == comb.count ? 0 : index + 1
            samples[i] = 0.9 * y
        }
    }
}

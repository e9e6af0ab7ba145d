#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An old, unsteady voice: amplitude tremolo plus a slight pitch wobble (vibrato)
/// from a fractional delay swept by the same ~5.5 Hz oscillator, the rate of
/// physiological tremor. The delay's centre is the latency.
final class TremoloEffect: VoiceProcessor {
    let latency: Int
    private let rate = 5.5
    private let depth: Float = 0.2
    /// Delay sweep amplitude in samples: pitch deviates by sweep · 2π · rate / sampleRate (≈1.5%).
    private let sweep: Double
    private let phaseStep: Double
    private var phase: Double = 0
    private var line: [Float]
    private var write = 0

    init(sampleRate: Int) {
        phaseStep = 2 * Double.pi * rate / Double(sampleRate)
        sweep = 0.015 * Double(sampleRate) / (2 * Double.pi * rate)
        latency = Int(sweep.rounded(.up)) + 2
        line = [Float](repeating: 0, count: 2 * latency + 4)
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        let n = line.count
        for i in samples.indices {
            line[write] = samples[i]
            let delay = Double(latency) + sweep * sin(phase)
            // linear interpolation between the two samples around write − delay
            let position = Double(write) - delay + Double(n)
            let base = Int(position.rounded(.down))
            let f = Float(position - Double(base))
            let a = line[base % n], b = line[(base + 1) % n]
            let gain = 1 - depth * Float(0.5 + 0.5 * sin(phase + 0.7))
            samples[i] = (a + f * (b - a)) * gain
            phase += phaseStep
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            write = write + 1 == n ? 0 : write + 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A radio or speaking tube: 6th-order Butterworth high-pass at 300 Hz,
/// soft saturation (the small speaker's distortion), then a 6th-order low-pass
/// at 3.5 kHz, which also removes the harmonics the saturation made above it.
final class RadioEffect: VoiceProcessor {
    static let low = 300.0
    static let high = 3500.0
    var latency: Int { 0 }
    private var highPass: [Biquad]
    private var lowPass: [Biquad]
    /// tanh drive: 2.5 audibly distorts loud syllables, leaves quiet ones clean.
    private let drive: Float = 2.5

    init(sampleRate: Int) {
        let qs = Biquad.butterworthQs(sections: 3)
        highPass = qs.map { Biquad(.highPass, frequency: Self.low, q: $0, sampleRate: sampleRate) }
        lowPass = qs.map { Biquad(.lowPass, frequency: Self.high, q: $0, sampleRate: sampleRate) }
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        let norm = 1 / tanhf(drive * 0.5)
        for i in samples.indices {
            var x = samples[i]
            for k in highPass.indices { x = highPass[k].step(x) }
            x = tanhf(drive * x) * norm * 0.5
            for k in lowPass.indices { x = lowPass[k].step(x) }
            samples[i] = x
        }
    }
}

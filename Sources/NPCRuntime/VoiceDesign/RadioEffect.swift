#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A radio or speaking tube: soft saturation (the small speaker's distortion),
/// then 8th-order Butterworth filters, high-pass at 350 Hz and low-pass at 3.2 kHz,
/// which also remove the products of the saturation outside the band. The corners
/// sit inside 300 Hz–3.5 kHz so the voice's strong harmonics just outside it
/// (the 2nd and 3rd of a ~100 Hz voice) are down by ≥ 10 dB, not 3.
final class RadioEffect: VoiceProcessor {
    static let low = 350.0
    static let high = 3200.0
    var latency: Int { 0 }
    private var highPass: [Biquad]
    private var lowPass: [Biquad]
    /// tanh drive: 2.5 audibly distorts loud syllables, leaves quiet ones clean.
    private let drive: Float = 2.5

    init(sampleRate: Int) {
        let qs = Biquad.butterworthQs(sections: 4)
        highPass = qs.map { Biquad(.highPass, frequency: Self.low, q: $0, sampleRate: sampleRate) }
        lowPass = qs.map { Biquad(.lowPass, frequency: Self.high, q: $0, sampleRate: sampleRate) }
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        let norm = 1 / tanhf(drive * 0.5)
        for i in samples.indices {
            var x = tanhf(drive * samples[i]) * norm * 0.5
            for k in highPass.indices { x = highPass[k].step(x) }
            for k in lowPass.indices { x = lowPass[k].step(x) }
            samples[i] = x
        }
    }
}

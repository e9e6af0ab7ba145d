#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loudness for a delivery (shouting, whispering): a gain, soft-limited with
/// tanh above 1 so a shout saturates like a strained voice instead of clipping.
final class GainProcessor: VoiceProcessor {
    var latency: Int { 0 }
    let gain: Float

    init(gain: Float) { self.gain = gain }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        if gain <= 1 {
            for i in samples.indices { samples[i] *= gain }
        } else {
            for i in samples.indices { samples[i] = tanhf(samples[i] * gain) }
        }
    }
}

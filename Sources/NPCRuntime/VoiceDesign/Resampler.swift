#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming band-limited resampler for one sentence: output sample j reads the
/// input at j · ratio through a Hann-windowed sinc (low-passed to the output's
/// Nyquist when ratio > 1), so ratio p plays the sentence p× faster: pitch and
/// formants × p, length ÷ p. The output is exactly `outputCount` samples, known
/// before the first chunk (visemes are scaled by it). Keeps only the input the
/// kernel still needs, not the sentence.
final class Resampler {
    let ratio: Double
    let inputCount: Int
    let outputCount: Int
    /// Kernel half-width in input samples.
    private let width: Int
    /// Cutoff relative to the input's Nyquist.
    private let cutoff: Double
    /// Input kept from global index `historyStart` on.
    private var history: [Float] = []
    private var historyStart = 0
    private var received = 0
    private var produced = 0

    /// Zero-crossings of the sinc on each side: 16 keeps images below about −60 dB.
    static let zeroCrossings = 16

    init(ratio: Double, inputCount: Int) {
        self.ratio = ratio
        self.inputCount = inputCount
        outputCount = max(0, Int((Double(inputCount) / ratio).rounded()))
        cutoff = min(1, 1 / ratio)
        width = Int((Double(Self.zeroCrossings) / cutoff).rounded(.up))
    }

    /// Feeds one chunk; returns the output samples it completes (all the rest on `last`).
    func run(_ input: [Float], last: Bool) -> [Float] {
        history += input
        received += input.count
        if last { history += [Float](repeating: 0, count: width + 2) }
        var out: [Float] = []
        let available = historyStart + history.count
        while produced < outputCount {
            let t = Double(produced) * ratio
            let center = Int(t.rounded(.down))
            // the kernel reads center − width + 1 … center + width
            if !last && center + width >= available { break }
            out.append(sample(at: t, center: center))
            produced += 1
        }
        // drop input no later output reads
        let keepFrom = Int((Double(produced) * ratio).rounded(.down)) - width
        if keepFrom > historyStart {
            let n = min(keepFrom - historyStart, history.count)
            history.removeFirst(n)
            historyStart += n
        }
        return out
    }

    private func sample(at t: Double, center: Int) -> Float {
        var sum: Double = 0
        for i in (center - width + 1)...(center + width) {
            let local = i - historyStart
            guard local >= 0, local < history.count else { continue }
            let u = t - Double(i)
            let w = 0.5 + 0.5 * cos(Double.pi * u / Double(width + 1))
            let x = Double.pi * u * cutoff
            let sinc = abs(x) < 1e-9 ? 1 : sin(x) / x
            sum += Double(history[local]) * cutoff * sinc * w
        }
        return Float(sum)
    }
}

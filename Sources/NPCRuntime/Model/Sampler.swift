#if canImport(Glibc)
import Glibc
#endif

/// How the next token is chosen. `temperature == 0` is greedy (argmax after
/// penalties and bias). Same seed, same choices, on any thread count.
public struct SamplerConfig: Sendable {
    public var temperature: Float = 0
    public var topK: Int = 0            // 0: off
    public var topP: Float = 1          // 1: off
    public var minP: Float = 0          // 0: off
    public var repeatPenalty: Float = 1 // 1: off
    public var repeatWindow: Int = 64   // last N tokens penalised
    public var logitBias: [Int32: Float] = [:]
    public var seed: UInt64 = 0
    public init() {}
    public static let greedy = SamplerConfig()
}

public struct Sampler: Sendable {
    public let config: SamplerConfig
    private var rng: SplitMix64
    private var candidates: [(id: Int32, logit: Float)] = []

    public init(_ config: SamplerConfig) {
        self.config = config
        rng = SplitMix64(seed: config.seed)
    }

    /// Picks the next token from `logits` (vocab), given the tokens so far.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: [Int32]) -> Int32 {
        let c = config
        // logit bias and repetition penalty (llama.cpp's rule: divide positive, multiply negative)
        var adjusted: [Int: Float] = [:]
        for (id, bias) in c.logitBias where id >= 0 && Int(id) < logits.count {
            adjusted[Int(id)] = (adjusted[Int(id)] ?? logits[Int(id)]) + bias
        }
        if c.repeatPenalty != 1 {
            for id in Set(history.suffix(c.repeatWindow)) where id >= 0 && Int(id) < logits.count {
                let v = adjusted[Int(id)] ?? logits[Int(id)]
                adjusted[Int(id)] = v > 0 ? v / c.repeatPenalty : v * c.repeatPenalty
            }
        }
        @inline(__always) func logit(_ i: Int) -> Float { adjusted[i] ?? logits[i] }

        if c.temperature <= 0 {
            var best = 0
            var bestValue = -Float.infinity
            for i in 0..<logits.count where logit(i) > bestValue { best = i; bestValue = logit(i) }
            return Int32(best)
        }

        // candidates sorted by logit (descending; ties by id so the order is deterministic)
        candidates.removeAll(keepingCapacity: true)
        for i in 0..<logits.count where logit(i).isFinite { candidates.append((Int32(i), logit(i))) }
        guard !candidates.isEmpty else { return 0 }
        candidates.sort { $0.logit != $1.logit ? $0.logit > $1.logit : $0.id < $1.id }
        if c.topK > 0 && c.topK < candidates.count { candidates.removeSubrange(c.topK...) }

        // probabilities at temperature 1 for top-p / min-p, as llama.cpp's chain does
        var probs = softmax(candidates.map { $0.logit }, temperature: 1)
        if c.topP < 1 {
            var cumulative: Float = 0
            var keep = candidates.count
            for (i, p) in probs.enumerated() {
                cumulative += p
                if cumulative >= c.topP { keep = i + 1; break }
            }
            candidates.removeSubrange(keep...)
            probs.removeSubrange(keep...)
        }
        if c.minP > 0, let top = probs.first {
            let keep = max(1, probs.firstIndex { $0 < c.minP * top } ?? probs.count)
            candidates.removeSubrange(keep...)
        }
        probs = softmax(candidates.map { $0.logit }, temperature: c.temperature)
        let r = rng.nextFloat()
        var cumulative: Float = 0
        for (i, p) in probs.enumerated() {
            cumulative += p
            if r < cumulative { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
    }

    private func softmax(_ logits: [Float], temperature: Float) -> [Float] {
        guard let m = logits.first else { return [] }
        var out = logits.map { expf(($0 - m) / temperature) }
        let sum = out.reduce(0, +)
        for i in out.indices { out[i] /= sum }
        return out
    }
}

/// log-softmax over the full vocabulary (for --top-logprobs and tests).
public func logSoftmax(_ logits: UnsafeBufferPointer<Float>) -> [Float] {
    var m = -Float.infinity
    for v in logits { m = max(m, v) }
    var sum: Double = 0
    for v in logits { sum += Double(expf(v - m)) }
    let logSum = m + Float(log(sum))
    return logits.map { $0 - logSum }
}

#if canImport(Glibc)
import Glibc
#endif

/// How the next token is chosen. `temperature == 0` is greedy (argmax after the
/// logits processors). Same seed, same choices, on any thread count.
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

    /// The logits processors these settings ask for, in llama.cpp's order
    /// (bias, then penalties): they run between the forward pass and `Sampler`.
    public var processors: [any LogitsProcessor] {
        var out: [any LogitsProcessor] = []
        if !logitBias.isEmpty { out.append(LogitBias(logitBias)) }
        if repeatPenalty != 1 { out.append(RepetitionPenalty(penalty: repeatPenalty, window: repeatWindow)) }
        return out
    }
}

/// Picks a token from processed logits: greedy, or top-k → top-p → min-p →
/// temperature → a seeded draw. Top-k candidates come from a k-sized heap
/// (O(vocab · log k)), not from sorting the vocabulary every token.
public struct Sampler: Sendable {
    public let config: SamplerConfig
    private var rng: SplitMix64
    private var heap = BinaryHeap<Candidate>()
    private var candidates: [Candidate] = []
    private var probs: [Float] = []

    /// A token and its logit; in the heap the worst kept candidate is on top.
    struct Candidate: HeapOrdered, Sendable {
        var id: Int32
        var logit: Float
        /// Higher logit first; ties by lower id, so the order is deterministic.
        func isBetter(than o: Candidate) -> Bool { logit != o.logit ? logit > o.logit : id < o.id }
        static func comesFirst(_ a: Candidate, _ b: Candidate) -> Bool { b.isBetter(than: a) }
    }

    public init(_ config: SamplerConfig) {
        self.config = config
        rng = SplitMix64(seed: config.seed)
    }

    /// Picks the next token from `logits` (vocab), already run through the processors.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let c = config
        if c.temperature <= 0 { return Self.argmax(logits) }
        collectCandidates(logits, limit: c.topK > 0 ? c.topK : logits.count)
        guard !candidates.isEmpty else { return Self.argmax(logits) }

        // probabilities at temperature 1 for top-p / min-p, as llama.cpp's chain does
        softmax(temperature: 1)
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
        softmax(temperature: c.temperature)
        let r = rng.nextFloat()
        var cumulative: Float = 0
        for (i, p) in probs.enumerated() {
            cumulative += p
            if r < cumulative { return candidates[i].id }
        }
        return candidates[candidates.count - 1].id
    }

    /// The best finite logit (lowest id on ties); 0 when none is finite.
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<logits.count where logits[i] > bestValue && logits[i].isFinite {
            best = i
            bestValue = logits[i]
        }
        return Int32(best)
    }

    /// `candidates` = the `limit` best finite logits, best first.
    private mutating func collectCandidates(_ logits: UnsafeBufferPointer<Float>, limit: Int) {
        heap.removeAll()
        for i in 0..<logits.count {
            let v = logits[i]
            guard v.isFinite else { continue }
            let c = Candidate(id: Int32(i), logit: v)
            if heap.count < limit {
                heap.push(c)
            } else if let worst = heap.first, c.isBetter(than: worst) {
                _ = heap.pop()
                heap.push(c)
            }
        }
        candidates.removeAll(keepingCapacity: true)
        while let c = heap.pop() { candidates.append(c) }
        candidates.reverse()
    }

    /// `probs` = softmax of the candidates' logits at `temperature` (candidates are sorted).
    private mutating func softmax(temperature: Float) {
        probs.removeAll(keepingCapacity: true)
        guard let m = candidates.first?.logit else { return }
        var sum: Float = 0
        for c in candidates {
            let e = expf((c.logit - m) / temperature)
            probs.append(e)
            sum += e
        }
        for i in probs.indices { probs[i] /= sum }
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

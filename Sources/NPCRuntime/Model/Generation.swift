/// One generated token, with its log-probability and the top alternatives
/// (log-softmax over the full vocabulary, before sampling).
public struct GeneratedStep: Sendable {
    public let token: Int32
    public let logprob: Float
    public let top: [(id: Int32, logprob: Float)]
}

extension Transformer {
    /// Prefills `prompt` (after whatever the cache already holds) and samples up to
    /// `maxTokens` tokens, stopping after a token in `stopTokens` (which is included)
    /// or when `onStep` returns false.
    @discardableResult
    public func generate(prompt: [Int32], cache: KVCache, maxTokens: Int, sampler: inout Sampler,
                         stopTokens: Set<Int32> = [], topLogprobs: Int = 0,
                         onStep: (GeneratedStep) -> Bool = { _ in true }) throws(RuntimeError) -> [GeneratedStep] {
        var steps: [GeneratedStep] = []
        var history = cache.tokens + prompt
        var logits = try forward(prompt, cache: cache)
        for _ in 0..<maxTokens {
            let token = sampler.sample(logits, history: history)
            var logprob: Float = 0
            var top: [(id: Int32, logprob: Float)] = []
            if topLogprobs > 0 {
                let lsm = logSoftmax(logits)
                logprob = lsm[Int(token)]
                top = topK(lsm, topLogprobs)
            }
            let step = GeneratedStep(token: token, logprob: logprob, top: top)
            steps.append(step)
            history.append(token)
            if !onStep(step) || stopTokens.contains(token) { break }
            if steps.count == maxTokens { break }
            guard cache.count < cache.capacity else { break }
            logits = try forward([token], cache: cache)
        }
        return steps
    }
}

/// The k largest values with their indices, largest first (ties: lower index first).
func topK(_ values: [Float], _ k: Int) -> [(id: Int32, logprob: Float)] {
    var best: [(id: Int32, logprob: Float)] = []
    for (i, v) in values.enumerated() {
        if best.count < k || v > best[best.count - 1].logprob {
            var at = best.count
            while at > 0 && best[at - 1].logprob < v { at -= 1 }
            best.insert((Int32(i), v), at: at)
            if best.count > k { best.removeLast() }
        }
    }
    return best
}

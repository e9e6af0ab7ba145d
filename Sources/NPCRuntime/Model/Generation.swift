/// One generated token, with its log-probability and the top alternatives
/// (log-softmax over the full vocabulary, before sampling).
public struct GeneratedStep: Sendable {
    public let token: Int32
    public let logprob: Float
    public let top: [(id: Int32, logprob: Float)]
}

extension Transformer {
    /// Prefills `prompt` (after whatever the cache already holds) and samples up to
    /// `maxTokens` tokens through `TokenStream`, stopping after a token in
    /// `stopTokens` (which is included in the result).
    @discardableResult
    public func generate(prompt: [Int32], cache: KVCache, maxTokens: Int, sampler: Sampler,
                         processors: [any LogitsProcessor] = [], stopTokens: Set<Int32> = [],
                         topLogprobs: Int = 0) throws(RuntimeError) -> [GeneratedStep] {
        var stream = try TokenStream(transformer: self, cache: cache, prompt: prompt, sampler: sampler,
                                     processors: processors, stopTokens: stopTokens, maxTokens: maxTokens)
        var steps: [GeneratedStep] = []
        while true {
            let lsm = topLogprobs > 0 ? logSoftmax(try stream.rawLogits()) : []
            let token = try stream.next() ?? stream.stoppedBy
            guard let token else { break }
            let logprob = lsm.isEmpty ? 0 : lsm[Int(token)]
            steps.append(GeneratedStep(token: token, logprob: logprob, top: lsm.isEmpty ? [] : topK(lsm, topLogprobs)))
            if stream.stoppedBy != nil { break }
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

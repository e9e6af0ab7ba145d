/// The one decode loop, shared by NPC turns and `parley generate`: prefill,
/// then per token forward → logits processors → sampler, until a stop token,
/// the token budget or a full context. The caller pulls one token at a time,
/// so it can pause, cancel or yield the CPU between tokens.
///
/// A token is returned as soon as it is sampled; it goes through the model at the
/// start of the next call. Its text reaches the player one forward pass sooner,
/// and a caller that stops to let the voice start holds back that pass too.
public struct TokenStream {
    public let transformer: Transformer
    public let cache: KVCache
    public let stopTokens: Set<Int32>
    public let maxTokens: Int
    /// Tokens returned so far (stop tokens not counted).
    public private(set) var generated = 0
    /// The stop token that ended the stream, if one did.
    public private(set) var stoppedBy: Int32?
    private var sampler: Sampler
    private let processors: [any LogitsProcessor]
    private var logits: UnsafeBufferPointer<Float>
    /// The last token returned, not yet run through the model.
    private var unforwarded: Int32?
    private var work: [Float] = []
    private var finished = false

    /// Runs `prompt` through the model after what `cache` already holds.
    public init(transformer: Transformer, cache: KVCache, prompt: [Int32], sampler: Sampler,
                processors: [any LogitsProcessor] = [], stopTokens: Set<Int32>, maxTokens: Int) throws(RuntimeError) {
        guard !prompt.isEmpty else { throw RuntimeError(.invalidArgument, "empty prompt") }
        self.transformer = transformer
        self.cache = cache
        self.sampler = sampler
        self.processors = processors
        self.stopTokens = stopTokens
        self.maxTokens = max(0, maxTokens)
        logits = try transformer.forward(prompt, cache: cache)
    }

    /// Logits of the next token as the model gave them (before the processors),
    /// valid until the next call of `next()`.
    public mutating func rawLogits() throws(RuntimeError) -> UnsafeBufferPointer<Float> {
        try forwardReturned()
        return logits
    }

    private mutating func forwardReturned() throws(RuntimeError) {
        guard let token = unforwarded else { return }
        unforwarded = nil
        logits = try transformer.forward([token], cache: cache)
    }

    /// The next token; nil once the stream has ended (stop token, `maxTokens`, or
    /// the context is full).
    public mutating func next() throws(RuntimeError) -> Int32? {
        guard !finished, generated < maxTokens else { finished = true; return nil }
        try forwardReturned()
        let token: Int32
        if processors.isEmpty {
            token = sampler.sample(logits)
        } else {
            work.removeAll(keepingCapacity: true)
            work.append(contentsOf: logits)
            let history = cache.tokens[...]
            token = work.withUnsafeMutableBufferPointer { buffer in
                for p in processors { p.process(buffer, history: history) }
                return sampler.sample(UnsafeBufferPointer(buffer))
            }
        }
        if stopTokens.contains(token) {
            stoppedBy = token
            finished = true
            return nil
        }
        generated += 1
        if generated < maxTokens && cache.count < cache.capacity {
            unforwarded = token
        } else {
            finished = true
        }
        return token
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Replies from the local transformer: tokenizes the prompt (fitting it to the
/// context), reuses the NPC's KV cache for the common prefix, and streams text
/// deltas through `TokenStream`. Runs on the model worker only.
public struct LocalReplySource: ReplySource {
    public let model: LanguageModel
    /// Mixed into every turn's sampler seed (the runtime's seed).
    public let seed: UInt64

    public init(model: LanguageModel, seed: UInt64) {
        self.model = model
        self.seed = seed
    }

    public func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
        let npc = request.npc
        var tokens = model.tokenize(request.messages)
        while tokens.count + request.maxTokens > model.contextLength, let shorter = request.shorten() {
            tokens = model.tokenize(shorter)
        }
        guard tokens.count + 1 < model.contextLength else {
            throw RuntimeError(.invalidArgument,
                               "\(npc.config.name)'s persona and lore take \(tokens.count) tokens; the context holds \(model.contextLength)")
        }
        let cache = npc.cache ?? KVCache(config: model.transformer.config, capacity: model.contextLength)
        npc.cache = cache
        // reuse the cached prefix (persona, lore, earlier turns); prefill only the rest
        let reused = min(cache.commonPrefix(with: tokens), tokens.count - 1)
        cache.truncate(to: reused)
        var stats = ReplyStats()
        stats.promptTokens = tokens.count
        stats.prefilledTokens = tokens.count - reused

        var sampling = request.sampler
        sampling.seed = seed &+ sampling.seed &+ npc.id &* 0x9E37_79B9 &+ npc.turnCount &* 7919
        let t0 = monotonicMs()
        let tokenStream = try TokenStream(transformer: model.transformer, cache: cache, prompt: Array(tokens[reused...]),
                                          sampler: Sampler(sampling), processors: sampling.processors,
                                          stopTokens: model.stopTokens, maxTokens: request.maxTokens)
        stats.prefillMs = monotonicMs() - t0
        return LocalReplyStream(tokens: tokenStream, decoder: StreamingDecoder(tokenizer: model.tokenizer, renderSpecial: false),
                                stats: stats)
    }
}

/// Text deltas of the local model's reply, token by token.
struct LocalReplyStream: ReplyStream {
    var tokens: TokenStream
    var decoder: StreamingDecoder
    var stats: ReplyStats
    private var ended = false

    init(tokens: TokenStream, decoder: StreamingDecoder, stats: ReplyStats) {
        self.tokens = tokens
        self.decoder = decoder
        self.stats = stats
    }

    mutating func next() throws(RuntimeError) -> ReplyPiece? {
        while !ended {
            guard let token = try tokens.next() else {
                ended = true
                let rest = decoder.finish()
                return rest.isEmpty ? nil : .text(rest)
            }
            stats.generatedTokens += 1
            let text = decoder.feed(token)
            if !text.isEmpty { return .text(text) }
        }
        return nil
    }
}

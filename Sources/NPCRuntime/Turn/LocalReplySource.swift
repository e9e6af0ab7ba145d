#if canImport(Glibc)
import Glibc
#endif

/// Replies from the local transformer: tokenizes the prompt (fitting it to the
/// context), reuses the NPC's KV cache for the common prefix, and streams text
/// deltas through `TokenStream`. Runs on the model worker only.
///
/// With tools, the first leg of a turn starts with `chooseAction` (`ToolDecision`;
/// the runtime calls it first, so the game's guard answers before a call is
/// written); when it picks an action, the reply is that call, decoded greedily
/// under a `GrammarMask` after the forced `<tool_call>` prefix, so it always
/// parses and validates.
/// Otherwise the call tags are masked out of free speech (where they are tokens).
public struct LocalReplySource: ReplySource {
    public let model: LanguageModel
    /// Mixed into every turn's sampler seed (the runtime's seed).
    public let seed: UInt64
    private let tries = BuiltOnce<TokenTrie>()
    private let speechTokensCache = BuiltOnce<SpeechTokens>()
    private let figureTokensCache = BuiltOnce<FigureTokens>()
    private let registerCache = BuiltOnce<AssistantRegisterPenalty>()
    private let unitTokensCache = BuiltOnce<[String: [Int32]]>()
    /// A phrase of this many tokens is said at most once per reply.
    static let repeatedPhraseTokens = 4
    /// Longest call, in tokens.
    static let maxCallTokens = 256

    /// Call tags that are single tokens (Qwen2.5) never appear in speech.
    private let callTagMask: [any LogitsProcessor]

    public init(model: LanguageModel, seed: UInt64) {
        self.model = model
        self.seed = seed
        let tags = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"].compactMap { model.tokenizer.tokenID($0) }
        callTagMask = tags.isEmpty ? [] : [TokenMask(banning: tags)]
    }

    public func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
        let npc = request.npc
        // a reply another source began goes on from its last word
        let continuation = request.continuation.isEmpty ? []
            : model.tokenizer.encode(request.continuation, addSpecial: false, parseSpecial: false)
        var tokens = model.tokenize(request.messages) + continuation
        if tokens.count + request.maxTokens > model.contextLength {
            // Full: forget down to three quarters of the context, not just below the limit.
            // A dropped exchange changes the summary in the system prompt, so the whole prompt
            // is prefilled again; trimming one exchange per turn paid that on every turn of a
            // long conversation (seconds each, and a backlog for every other NPC).
            let target = model.contextLength * 3 / 4
            while tokens.count + request.maxTokens > target, let shorter = request.shorten() {
                tokens = model.tokenize(shorter) + continuation
            }
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

        let t0 = monotonicMs()
        // calls only at the start of a turn: after a tool result the NPC tells the outcome
        var callTools = continuation.isEmpty ? request.requiredTools : []
        if callTools.isEmpty, request.decidesAction, let tool = try chooseAction(request) { callTools = [tool] }
        if let tool = callTools.first {
            let prefix = model.tokenizer.encode(ToolFormat.callPrefix, addSpecial: false, parseSpecial: false)
            let mask = GrammarMask(trie: tries.value { TokenTrie(tokenizer: model.tokenizer, suffix: ToolFormat.callSuffix) }, grammar: try CallGrammar(tools: callTools, suffix: ToolFormat.callSuffix),
                                   endTokens: model.stopTokens, startIndex: tokens.count + prefix.count)
            let tokenStream = try TokenStream(transformer: model.transformer, cache: cache, prompt: Array(tokens[reused...]) + prefix,
                                              sampler: Sampler(.greedy), processors: [mask],
                                              stopTokens: model.stopTokens, maxTokens: Self.maxCallTokens)
            stats.prefillMs = monotonicMs() - t0
            return LocalCallStream(tokens: tokenStream, mask: mask, tool: tool, stats: stats)
        }

        let speechTokens = speechTokensCache.value { SpeechTokens(tokenizer: model.tokenizer) }
        let figureTokens = figureTokensCache.value { FigureTokens(tokenizer: model.tokenizer) }
        let ground = Self.groundText(request)
        var sampling = request.sampler
        sampling.seed = seed &+ sampling.seed &+ npc.id &* 0x9E37_79B9 &+ npc.turnCount &* 7919
        let tokenStream = try TokenStream(transformer: model.transformer, cache: cache, prompt: Array(tokens[reused...]),
                                          sampler: Sampler(sampling),
                                          processors: sampling.processors + callTagMask
                                              + [EarlyStopMask(banning: model.stopTokens, untilCount: tokens.count + 1),
                                                 RepeatedPhraseBlock(n: Self.repeatedPhraseTokens, promptCount: tokens.count),
                                                 LeadingMarkupMask(tokens: speechTokens, promptCount: tokens.count),
                                                 GroundedFigures(tokens: figureTokens, groundedIn: ground, promptCount: tokens.count),
                                                 GroundedUnits(tokenizer: model.tokenizer, common: unitTokensCache.value { GroundedUnits.commonTokens(model.tokenizer) },
                                                               groundedIn: ground, promptCount: tokens.count),
                                                 registerCache.value { AssistantRegisterPenalty(tokenizer: model.tokenizer) },
                                                 SentenceEndSteer(ends: speechTokens,
                                                                  stopTokens: model.stopTokens, promptCount: tokens.count,
                                                                  budget: request.maxTokens, maxSentences: npc.config.maxSentences)],
                                          stopTokens: model.stopTokens, maxTokens: request.maxTokens)
        stats.prefillMs = monotonicMs() - t0
        return LocalReplyStream(tokens: tokenStream, decoder: StreamingDecoder(tokenizer: model.tokenizer, renderSpecial: false),
                                stats: stats)
    }
}

extension LocalReplySource: ActionDeciding {
    /// `ToolDecision` on the player's line, then `ArgumentGrounding`; only at the start of a turn.
    public func chooseAction(_ request: ReplyRequest) throws(RuntimeError) -> ToolSpec? {
        guard request.continuation.isEmpty, let line = request.messages.last, line.role == .user else { return nil }
        let exchange = Self.previousExchange(request.messages)
        guard let tool = try ToolDecision.choose(model: model, npc: request.npc, line: line.content, context: exchange,
                                                 tools: request.npc.config.tools) else { return nil }
        return ArgumentGrounding.narrow(tool, line: line.content, context: exchange)
    }
}

extension LocalReplySource {
    /// Longest run of tokens `prepareNextTurn` prefills.
    static let maxPrefedTokens = 32

    /// Runs the tokens that open the player's next line — the end of this reply and
    /// the chat format's user header, the same whatever the line says — through the
    /// model now, while the voice still speaks, so the next turn prefills only the
    /// line itself (5 of Qwen2.5's 18 tokens of a typical line).
    public func prepareNextTurn(_ npc: NPC) {
        guard let cache = npc.cache else { return }
        let one = model.tokenize(npc.messages(adding: [ChatMessage(.user, "Yes")]))
        let other = model.tokenize(npc.messages(adding: [ChatMessage(.user, "No")]))
        var shared = 0
        while shared < min(one.count, other.count) && one[shared] == other[shared] { shared += 1 }
        // a conversation about to be shortened starts over anyway
        guard one.count + npc.config.maxReplyTokens + 64 <= model.contextLength else { return }
        let reused = cache.commonPrefix(with: one)
        guard reused < shared, shared - reused <= Self.maxPrefedTokens else { return }
        cache.truncate(to: reused)
        do {
            _ = try model.transformer.forward(Array(one[reused..<shared]), cache: cache)
        } catch {
            cache.truncate(to: reused)   // the next turn prefills these itself
        }
    }

    /// The exchange before the last message: the player's previous line and the reply to it (empty on a first line).
    static func previousExchange(_ messages: [ChatMessage]) -> String {
        messages.dropLast().suffix(2).filter { $0.role == .user || $0.role == .assistant }.map(\.content).joined(separator: "\n")
    }

    /// What a reply's figures may come from: the character, its lore and the
    /// conversation (not the prompt's fixed instructions, "one to three sentences").
    static func groundText(_ request: ReplyRequest) -> String {
        let config = request.npc.config
        return ([config.persona, request.npc.summary, request.continuation] + config.knowledge
            + request.messages.dropFirst().map(\.content)).joined(separator: "\n")
    }
}

/// A per-model table built on first use (each walks the whole vocabulary).
final class BuiltOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var built: Value?

    func value(_ build: () -> Value) -> Value {
        lock.withLock {
            if let built { return built }
            let value = build()
            built = value
            return value
        }
    }
}

/// A reply that is one tool call, decoded under the grammar; yields it once.
/// `tool` names an incomplete call (the first when several were allowed).
struct LocalCallStream: ReplyStream {
    var tokens: TokenStream
    let mask: GrammarMask
    let tool: ToolSpec
    var stats: ReplyStats
    private var done = false

    init(tokens: TokenStream, mask: GrammarMask, tool: ToolSpec, stats: ReplyStats) {
        self.tokens = tokens
        self.mask = mask
        self.tool = tool
        self.stats = stats
    }

    mutating func next() throws(RuntimeError) -> ReplyPiece? {
        guard !done else { return nil }
        done = true
        while !mask.isComplete, try tokens.next() != nil { stats.generatedTokens += 1 }
        // The grammar makes a complete call parse; anything else is reported as
        // an invalid call of the chosen tool (and refused by the runtime).
        let text = mask.text
        guard mask.isComplete, let call = try? ParsedCall(text: text, suffix: ToolFormat.callSuffix) else {
            return .toolCall(ToolCall(id: "", name: tool.name, arguments: text))
        }
        return .toolCall(ToolCall(id: "", name: call.name, arguments: call.arguments.serialized))
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

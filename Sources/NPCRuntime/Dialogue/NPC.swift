/// A designer's sample exchange: a player line and how the character answers it.
public struct DialogueExample: Sendable, Equatable {
    public var player: String
    public var reply: String
    public init(player: String, reply: String) {
        self.player = player
        self.reply = reply
    }
}

/// Where a turn's reply should come from (the router's input; `auto` lets it decide).
public enum RoutingPolicy: String, Sendable { case local, remote, auto }

/// What a designer writes about a character.
public struct NPCConfig: Sendable, Equatable {
    public var name: String
    public var persona: String
    public var knowledge: [String] = []
    /// Sample exchanges that show the character's voice (few-shot); they open the
    /// conversation in every prompt and are never summarised away.
    public var examples: [DialogueExample] = []
    /// Exact replies to lines close to their triggers, spoken without inference.
    public var authored: [AuthoredLine] = []
    public var voice = VoiceStyle()
    public var position: (x: Float, y: Float, z: Float) = (0, 0, 0)
    public var policy: RoutingPolicy = .auto
    /// Longest reply, in tokens.
    public var maxReplyTokens = 96
    /// Longest reply, in sentences (0: no limit); the reply stops after that many.
    public var maxSentences = 3
    public var sampler = SamplerConfig.npcDefault
    /// What the NPC may do in the world; only these calls ever reach the game.
    public var tools: [ToolSpec] = []

    public init(name: String, persona: String) {
        self.name = name
        self.persona = persona
    }

    public static func == (a: NPCConfig, b: NPCConfig) -> Bool {
        a.name == b.name && a.persona == b.persona && a.knowledge == b.knowledge && a.examples == b.examples && a.authored == b.authored && a.voice == b.voice
            && a.position == b.position && a.policy == b.policy && a.maxReplyTokens == b.maxReplyTokens && a.maxSentences == b.maxSentences
            && a.tools.map(\.name) == b.tools.map(\.name)
    }

    /// The system message: persona, who the NPC is talking to, lore, and what was
    /// summarised from dropped turns. Written for 0.5B-class models, by measurement
    /// on eval/talk (BENCHMARKS.md): naming the player as the one spoken to, in the
    /// first person, cut the NPC greeting itself by name and talking about itself
    /// as "she"; asking for the lore as written, and for "I don't know" over an
    /// invented figure, raised lore answers.
    func systemPrompt(summary: String, playerName: String? = nil) -> String {
        var text = "You are \(name). \(persona)"
        text += "\nYou are talking with a traveller (the player). Speak as \(name), in the first person."
        if let playerName { text += "\nThe player's name is \(playerName)." } else { text += "\nYou do not know the player's name." }
        if knowledge.count > KnowledgeSelection.allInPromptLines {
            text += "\nYou know this place well; what matters for each line is given with it."
        } else if !knowledge.isEmpty {
            text += "\n" + Self.knowledgeHeading + "\n" + knowledge.map { "- " + $0 }.joined(separator: "\n")
        }
        text += "\nNever make up prices, numbers or places; if you do not know one, say so."
        text += ToolFormat.toolsSection(tools, npcName: name)
        if !summary.isEmpty { text += "\nEarlier in this conversation: " + summary }
        text += "\nStay in character. Answer in one to three short spoken sentences."
        return text
    }

    static let knowledgeHeading = "What you know (say it exactly as written, same numbers and names):"
}

extension SamplerConfig {
    /// Coherent replies for characters that still vary from turn to turn.
    public static var npcDefault: SamplerConfig {
        var c = SamplerConfig()
        c.temperature = 0.3  // 0.7 invented more facts on eval/talk (lore 54% against 65% at 0.3, Qwen2.5-0.5B)
        c.topK = 40
        c.topP = 0.95
        c.minP = 0.05
        c.repeatPenalty = 1.1
        return c
    }
}

/// Per-turn measurements, for `parley_runtime_stats` and `parley bench turn`.
public struct TurnStats: Sendable {
    public var turnID: UInt64 = 0
    public var promptTokens = 0
    /// Tokens actually run through the model for the prompt (the rest came from the KV cache).
    public var prefilledTokens = 0
    public var generatedTokens = 0
    public var prefillMs = 0.0
    public var generateMs = 0.0
    public var firstTextMs: Double?
    public var firstAudioMs: Double?
    public var audioSamples = 0
    /// Prompt and completion tokens billed by the remote model.
    public var remoteTokens = 0
    public init() {}
}

/// A character: its config, conversation and KV cache. The cache and the turn
/// in progress belong to the model worker; history is guarded by `lock`.
public final class NPC: @unchecked Sendable {
    public let id: UInt64
    public let lock = Lock()
    private var _config: NPCConfig
    private var _history: [ChatMessage] = []
    private var _summary = ""
    private var _lastStats = TurnStats()
    /// Turns completed, also the seed offset of the next turn.
    private var _turnCount: UInt64 = 0
    var cache: KVCache?
    /// The side prompt of `ToolDecision` (model worker only).
    var decisionCache: KVCache?
    private var toolGuards: [String: ToolGuard] = [:]
    private var toolRateLimits: [String: ToolRateLimit] = [:]
    /// The turn being generated or spoken, for cancellation.
    var activeTurn: Turn?

    public init(id: UInt64, config: NPCConfig) {
        self.id = id
        _config = config
    }

    public var config: NPCConfig {
        get { lock.withLock { _config } }
        set { lock.withLock { _config = newValue } }
    }
    /// Changes the config in one step under the lock; a change that breaks a limit is refused whole.
    func updateConfig(_ change: (inout NPCConfig) -> Void) throws(RuntimeError) {
        try lock.withLock { () throws(RuntimeError) in
            var config = _config
            change(&config)
            try config.validate()
            _config = config
        }
    }
    public var history: [ChatMessage] { lock.withLock { _history } }
    public var summary: String { lock.withLock { _summary } }
    public var lastStats: TurnStats { lock.withLock { _lastStats } }
    public var turnCount: UInt64 { lock.withLock { _turnCount } }

    /// Adds a finished exchange: the player's line, any tool steps, the reply.
    func record(user: String, note: ChatMessage? = nil, toolSteps: [ChatMessage] = [], reply: String, stats: TurnStats) {
        lock.withLock {
            if let note { _history.append(note) }
            _history.append(ChatMessage(.user, user))
            _history.append(contentsOf: toolSteps)
            _history.append(ChatMessage(.assistant, reply))
            _lastStats = stats
            _turnCount += 1
        }
    }

    func updateStats(_ body: (inout TurnStats) -> Void) { lock.withLock { body(&_lastStats) } }

    func setToolGuard(_ tool: String, _ check: ToolGuard?) { lock.withLock { toolGuards[tool] = check } }
    func setToolRateLimit(_ tool: String, _ limit: ToolRateLimit?) { lock.withLock { toolRateLimits[tool] = limit } }

    /// The game side of a tool step: nil hands the call to the game, else the
    /// reason it may not run. The guard is game code: it runs outside the lock.
    func admit(tool: String, arguments: String, now: Double) -> String? {
        if let check = lock.withLock({ toolGuards[tool] }), case let .refuse(reason) = check(arguments) { return reason }
        return lock.withLock {
            guard var limit = toolRateLimits[tool] else { return nil }
            defer { toolRateLimits[tool] = limit }
            return limit.admit(now: now) ? nil : ToolRateLimit.refusal(tool)
        }
    }

    /// Whether the game has a say on `tool` before a call runs (a guard or a rate limit).
    func hasPrecondition(_ tool: String) -> Bool {
        lock.withLock { toolGuards[tool] != nil || toolRateLimits[tool] != nil }
    }

    /// The game's verdict on calls the NPC is considering (`ToolPrecheck`): nil
    /// allows a call, else the reason. A spent rate limit refuses them all; nothing
    /// is counted against it. The guard is game code: it runs outside the lock.
    func precheck(tool: String, candidates: [String], now: Double) -> [String?] {
        if lock.withLock({ toolRateLimits[tool].map { !$0.hasRoom(now: now) } ?? false }) {
            return candidates.map { _ in ToolRateLimit.refusal(tool) }
        }
        guard let check = lock.withLock({ toolGuards[tool] }) else { return candidates.map { _ in nil } }
        return candidates.map { arguments -> String? in
            if case let .refuse(reason) = check(arguments) { return reason }
            return nil
        }
    }

    /// Drops the oldest exchange (a player line and everything up to the next one)
    /// into the summary (an extractive one: what the player asked).
    func dropOldestExchange() -> Bool {
        lock.withLock {
            // an exchange: its lore note (system), the player's line, tool steps (a
            // refusal note, system, before any reply), the reply
            guard _history.count >= 2, let userIndex = _history.firstIndex(where: { $0.role == .user }) else { return false }
            let user = _history[userIndex]
            _history.removeFirst(userIndex + 1)
            var replied = false
            while let next = _history.first, next.role != .user, !(replied && next.role == .system) {
                if next.role == .assistant { replied = true }
                _history.removeFirst()
            }
            let gist = user.content.count > 80 ? String(user.content.prefix(80)) + "…" : user.content
            _summary = _summary.isEmpty ? "the player said \"\(gist)\"" : _summary + "; \"\(gist)\""
            if _summary.count > 600 { _summary = "…" + String(_summary.suffix(600)) }
            return true
        }
    }

    func restore(history: [ChatMessage], summary: String, turnCount: UInt64) {
        lock.withLock {
            _history = history
            _summary = summary
            _turnCount = turnCount
        }
    }

    /// The system message, the sample exchanges, the conversation so far, then `tail` (the new line and its tool steps).
    func messages(adding tail: [ChatMessage]) -> [ChatMessage] {
        lock.withLock {
            let playerName = PlayerName.find(in: [_summary] + _history.filter { $0.role == .user }.map(\.content))
            return [ChatMessage(.system, _config.systemPrompt(summary: _summary, playerName: playerName))]
                + _config.examples.flatMap { [ChatMessage(.user, $0.player), ChatMessage(.assistant, $0.reply)] }
                + _history + tail
        }
    }
}

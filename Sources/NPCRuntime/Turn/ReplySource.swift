/// A function call an NPC's reply asks for. The game decides whether it runs.
public struct ToolCall: Sendable, Equatable {
    /// Unique within the runtime; the game answers with it.
    public var id: String
    public var name: String
    /// A JSON object.
    public var arguments: String
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The call as the assistant's message in the conversation.
    public var transcript: String { ToolFormat.transcript(name: name, arguments: arguments) }
}

/// What a reply stream yields: text as it is produced, or a tool call, after
/// which the turn waits for the game's result.
public enum ReplyPiece: Sendable, Equatable {
    case text(String)
    case toolCall(ToolCall)
}

/// One leg of a turn's reply to produce: the whole prompt as messages.
public struct ReplyRequest {
    public let npc: NPC
    /// System, history, the player's line, and this turn's tool steps so far.
    public var messages: [ChatMessage]
    /// The prompt with the oldest exchange folded into the summary, for a source
    /// whose context it does not fit; nil when there is nothing left to drop.
    public var shorten: () -> [ChatMessage]?
    public var maxTokens: Int
    public var sampler: SamplerConfig
    /// Reply text already spoken in this leg by a source that failed: the next
    /// source continues it rather than starting over.
    public var continuation = ""
    /// True once the turn is cancelled; a source that waits (on the network) checks it.
    public var isCancelled: @Sendable () -> Bool = { false }
    /// When not empty, the reply is a call of one of these tools, decoded under
    /// their grammar without `ToolDecision` (an API client's `tool_choice`
    /// naming a tool, or "required"); sources that cannot force a call ignore it.
    public var requiredTools: [ToolSpec]
    /// False once the runtime has decided this turn's action itself (`ActionDeciding`):
    /// the reply is then the call in `requiredTools`, or speech when that is empty.
    public var decidesAction = true

    public init(npc: NPC, messages: [ChatMessage], shorten: @escaping () -> [ChatMessage]? = { nil },
                maxTokens: Int, sampler: SamplerConfig, requiredTools: [ToolSpec] = []) {
        self.npc = npc
        self.messages = messages
        self.shorten = shorten
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.requiredTools = requiredTools
    }
}

/// What a leg cost, for `TurnStats`.
public struct ReplyStats: Sendable {
    public var promptTokens = 0
    public var prefilledTokens = 0
    public var generatedTokens = 0
    public var prefillMs = 0.0
    /// Prompt and completion tokens a remote model billed for.
    public var remoteTokens = 0
    public init() {}
}

/// Pulled one piece at a time by the model worker, which checks for
/// cancellation and yields the CPU between pieces.
public protocol ReplyStream {
    mutating func next() throws(RuntimeError) -> ReplyPiece?
    var stats: ReplyStats { get }
}

/// Where replies come from: the local transformer, or (router issue) a remote
/// model's stream. `start` runs on the model worker.
public protocol ReplySource: Sendable {
    func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream
    /// False while the source would refuse turns (a remote behind an open circuit breaker).
    var isAvailable: Bool { get }
    /// Called on the model worker after `npc`'s turn is recorded, before the player's
    /// next line: work that line will otherwise wait for.
    func prepareNextTurn(_ npc: NPC)
}

/// A source that tells by itself whether a line asks for one of the NPC's actions
/// (the local model). The runtime asks it before the reply starts, so the game's
/// guard can answer about the action before any call is written (`ToolPrecheck`).
public protocol ActionDeciding {
    /// The tool the request's last line asks for, its parameters narrowed to what
    /// the line names; nil to talk. Runs on the model worker.
    func chooseAction(_ request: ReplyRequest) throws(RuntimeError) -> ToolSpec?
}

extension ReplySource {
    public var isAvailable: Bool { true }
    public func prepareNextTurn(_ npc: NPC) {}
}

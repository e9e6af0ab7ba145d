/// One player line and its reply in progress. A turn runs on the model worker
/// in one or more legs: a leg that ends in a tool call parks the turn (no
/// worker holds it) until the game answers with `Runtime.toolResult`.
final class Turn: @unchecked Sendable {
    let id: UInt64
    let npc: NPC
    let line: String
    let sayTimeMs: Double
    private let flag = Lock()
    private var _cancelled = false
    private var _pendingCall: ToolCall?
    private var _pendingPrecheck: ToolPrecheck?
    private var _firstAudioMs: Double?
    private var _awaitingFirstAudio = false

    // The worker running the turn's leg only (one leg at a time):
    /// The assistant's calls and the game's results so far, in prompt order.
    var toolSteps: [ChatMessage] = []
    /// What the first local leg decided the line asks for (`ActionDeciding`).
    var plan = ActionPlan.undecided
    /// The lore lines this turn needs, as a note before the player's line (nil: none);
    /// chosen once, and kept in the history with the exchange so the next turn's
    /// prompt starts with the same tokens (the KV cache keeps them).
    lazy var factsNote: ChatMessage? = PromptAssembly.factsNote(for: npc, line: line)
    /// Reply text streamed so far, over every leg.
    var reply = ""
    var stats = TurnStats()
    /// Decided by the first leg (nil before); a remote leg that fails switches the turn to local.
    var route: Route?
    /// Text a failed remote leg already spoke, for the local model to continue.
    var continuation = ""
    var chunker = SentenceChunker()
    var firstPieceQueued = false
    /// A stage direction after a sentence's last word ("Fine. *sighs*"), for the next sentence.
    var pendingDelivery: Delivery?
    // Voice worker only:
    /// Samples of speech produced so far.
    var audioSamples = 0
    /// The sound design of the turn's last sentence; kept while the style stays the same,
    /// so reverb tails and oscillators run on from sentence to sentence.
    var voiceChain: VoiceDesignChain?

    init(id: UInt64, npc: NPC, line: String, sayTimeMs: Double) {
        self.id = id
        self.npc = npc
        self.line = line
        self.sayTimeMs = sayTimeMs
        stats.turnID = id
    }

    var cancelled: Bool { flag.withLock { _cancelled } }

    /// Marks the turn cancelled. Returns true when it was parked on a tool call or
    /// a precheck: no worker will see the flag, so the caller ends it.
    @discardableResult
    func cancel() -> Bool {
        flag.withLock {
            _cancelled = true
            defer {
                _pendingCall = nil
                _pendingPrecheck = nil
            }
            return _pendingCall != nil || _pendingPrecheck != nil
        }
    }

    /// Parks the turn until the game's guard has answered `precheck` (in `Runtime.poll`);
    /// false if it was cancelled meanwhile.
    func park(on precheck: ToolPrecheck) -> Bool {
        flag.withLock {
            guard !_cancelled else { return false }
            _pendingPrecheck = precheck
            return true
        }
    }

    /// Takes the parked precheck (nil once cancelled), so it is answered once.
    func takePendingPrecheck() -> ToolPrecheck? {
        flag.withLock {
            defer { _pendingPrecheck = nil }
            return _pendingPrecheck
        }
    }

    /// Parks the turn on `call`; false if it was cancelled meanwhile.
    func park(on call: ToolCall) -> Bool {
        flag.withLock {
            guard !_cancelled else { return false }
            _pendingCall = call
            return true
        }
    }

    /// Takes the parked call if its id is `callID` (so a result is applied once).
    func takePendingCall(id callID: String) -> ToolCall? {
        flag.withLock {
            guard let call = _pendingCall, call.id == callID else { return nil }
            _pendingCall = nil
            return call
        }
    }

    var pendingCall: ToolCall? { flag.withLock { _pendingCall } }
    var isAwaitingPrecheck: Bool { flag.withLock { _pendingPrecheck != nil } }

    /// True from when the first speakable piece is handed to the voice until its audio
    /// is out: the model worker yields the CPU meanwhile, so the player hears the NPC sooner.
    var awaitingFirstAudio: Bool {
        get { flag.withLock { _awaitingFirstAudio } }
        set { flag.withLock { _awaitingFirstAudio = newValue } }
    }
    /// ms from say() to the turn's first AUDIO event.
    var firstAudioMs: Double? {
        get { flag.withLock { _firstAudioMs } }
        set { flag.withLock { _firstAudioMs = newValue } }
    }
}

/// A turn's action, decided once at its start.
enum ActionPlan {
    case undecided
    case talk
    case call(ToolSpec)
}

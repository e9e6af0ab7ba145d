/// One thing that happened, in the order the game should see it. Engines
/// produce these on worker threads; the game takes them with `EventQueue.poll`.
public struct RuntimeEvent: Sendable {
    public enum Kind: Int32, Sendable, CaseIterable {
        case text = 1, audio = 2, viseme = 3, toolCall = 4, route = 5, done = 6, error = 7

        /// The kind's name in scripts and logs (Lua's `event.type`); the one table of them.
        public var name: String {
            switch self {
            case .text: "text"
            case .audio: "audio"
            case .viseme: "viseme"
            case .toolCall: "tool_call"
            case .route: "route"
            case .done: "done"
            case .error: "error"
            }
        }
    }
    public var kind: Kind
    /// nil on success; the error kind for DONE/ERROR events that end early.
    public var errorKind: ErrorKind?
    public var npcID: UInt64 = 0
    public var turnID: UInt64 = 0
    public var text: String?
    public var name: String?
    public var samples: [Float] = []
    public var sampleRate: Int32 = 0
    public var startSample: Int64 = 0
    public var endSample: Int64 = 0
    public var timeMs: Double = 0
    /// TOOL_CALL: the id the game answers with (`Runtime.toolResult`).
    public var callID: String?
    /// ERROR (toolRejected): the arguments of the call that did not run.
    public var toolArguments: String?

    public init(kind: Kind, errorKind: ErrorKind? = nil, npcID: UInt64 = 0, turnID: UInt64 = 0,
                text: String? = nil, name: String? = nil) {
        self.kind = kind
        self.errorKind = errorKind
        self.npcID = npcID
        self.turnID = turnID
        self.text = text
        self.name = name
    }
}

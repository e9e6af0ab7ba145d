/// A reply source that replays a script, for tests of games and of the runtime
/// (no model needed): each NPC, by name, has fixed legs; leg n is used after n
/// tool results in the current turn. Every prompt it is given is recorded.
public final class ScriptedReplySource: ReplySource, @unchecked Sendable {
    public let legs: [String: [[ReplyPiece]]]
    private let lock = Lock()
    private var _prompts: [[ChatMessage]] = []
    private var _continuations: [String] = []

    /// legs[npcName][n]: the pieces of the leg after n tool results.
    public init(_ legs: [String: [[ReplyPiece]]]) { self.legs = legs }

    /// The messages of every leg started so far, oldest first.
    public var prompts: [[ChatMessage]] { lock.withLock { _prompts } }
    /// Each leg's `continuation` (text another source already spoke), oldest first.
    public var continuations: [String] { lock.withLock { _continuations } }

    public func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
        lock.withLock {
            _prompts.append(request.messages)
            _continuations.append(request.continuation)
        }
        let results = request.messages.reversed().prefix { $0.role != .user }.filter { $0.role == .tool }.count
        let script = legs[request.npc.config.name] ?? []
        guard results < script.count else {
            throw RuntimeError(.invalidState, "the script of \(request.npc.config.name) has no leg \(results)")
        }
        return Stream(pieces: script[results])
    }

    struct Stream: ReplyStream {
        var pieces: [ReplyPiece]
        var stats = ReplyStats()
        mutating func next() throws(RuntimeError) -> ReplyPiece? {
            guard !pieces.isEmpty else { return nil }
            stats.generatedTokens += 1
            return pieces.removeFirst()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// What a game creates once: the loaded dialogue model and voice (memory-mapped,
/// shared by every NPC), the worker threads, and the event queue the game drains
/// each frame.
public struct RuntimeConfig: Sendable {
    public var modelPath: String?
    public var voicePath: String?
    public var threads: Int = 0
    public var contextLength: Int = 0
    public var seed: UInt64 = 0
    /// How the voice computes its heaviest convolutions.
    public var voicePrecision: VoicePrecision = .exact
    /// A phonemizer supplied by the game instead of espeak-ng.
    public var phonemizer: (any Phonemizer)?
    public init(modelPath: String? = nil, voicePath: String? = nil) {
        self.modelPath = modelPath
        self.voicePath = voicePath
    }
}

public struct RuntimeStats: Sendable {
    public var npcCount = 0
    public var turnsCompleted: UInt64 = 0
    public var tokensPrefilled: UInt64 = 0
    public var tokensGenerated: UInt64 = 0
    /// Prompt and completion tokens billed by the remote model.
    public var remoteTokens: UInt64 = 0
    /// Turns the remote model started and the local model had to finish.
    public var remoteFallbacks: UInt64 = 0
    public var lastTurn = TurnStats()
}

/// A game's NPC runtime. A turn runs as stages (README, "The turn"):
/// prompt assembly → route decision → reply source → text stream → tool step →
/// speech → events. The model worker runs one turn leg at a time; the voice
/// worker speaks while the model writes the next sentence.
public final class Runtime: @unchecked Sendable {
    public let config: RuntimeConfig
    public let events = EventQueue()
    public let model: LanguageModel?
    public let speech: SpeechSynthesizer?
    /// Player lines (and tool results) waiting per NPC beyond the one being answered.
    public let maxPendingTurns = 4
    /// Audio the game may leave unpolled before the voice worker waits (seconds).
    public let maxQueuedAudioSeconds = 30.0
    /// Tool calls one turn may make before its reply must be text.
    public static let maxToolSteps = 4
    public static let maxToolResultBytes = 16_384

    private let router: (any RouteDecider)?
    private let replySource: (any ReplySource)?
    private let remote: (any ReplySource)?
    private let modelWorker = SerialWorker(capacity: 64)
    /// Remote legs wait on the network here, so local turns go on; several, so
    /// one NPC's slow remote reply does not hold another's (an NPC's legs stay on
    /// one worker, in order).
    private let remoteWorkers = (0..<Runtime.remoteWorkerCount).map { _ in SerialWorker(capacity: 64) }
    static let remoteWorkerCount = 4
    private let voiceWorker = SerialWorker(capacity: 512)
    private var speechStage: SpeechStage?
    private let lock = Lock()
    private var npcs: [UInt64: NPC] = [:]
    private var pendingTurns: [UInt64: Int] = [:]
    /// Turns parked until `poll` has put their action to the game's guard (`ToolPrecheck`).
    private var prechecks: [Turn] = []
    private var nextNPCID: UInt64 = 1
    private var nextTurnID: UInt64 = 1
    private var totals = RuntimeStats()
    /// Positioned playback, when the game opened it (Runtime+Audio).
    let audioFeed = AudioFeed()

    /// Loads the model and voice `config` names. `router` chooses each turn's
    /// route (nil: always local); `replySource` replaces the local model (tests);
    /// `remote` is the large model a router may send turns to. A remote leg that
    /// fails is finished by the local one.
    public init(config: RuntimeConfig, router: (any RouteDecider)? = nil,
                replySource: (any ReplySource)? = nil, remote: (any ReplySource)? = nil) throws(RuntimeError) {
        try config.validate()
        self.config = config
        self.router = router
        self.remote = remote
        let threads = config.threads > 0 ? config.threads : min(4, max(1, Runtime.cpuCount()))
        model = try config.modelPath.map { name throws(RuntimeError) in
            try LanguageModel(path: ModelLocator.resolve(name), threads: threads, contextLength: config.contextLength)
        }
        speech = try config.voicePath.map { name throws(RuntimeError) in
            let onnx = try ModelLocator.resolve(name)
            guard ModelLocator.exists(onnx + ".json") else {
                throw RuntimeError(.fileNotFound, "\(onnx).json: voice config missing (Piper voices come as .onnx + .onnx.json)")
            }
            return try SpeechSynthesizer(voicePath: onnx, phonemizer: config.phonemizer, threads: threads,
                                         precision: config.voicePrecision)
        }
        self.replySource = replySource ?? model.map { LocalReplySource(model: $0, seed: config.seed) }
        speechStage = speech.map { speech in
            SpeechStage(speech: speech, worker: voiceWorker, events: events, seed: config.seed,
                        maxQueuedAudioSeconds: maxQueuedAudioSeconds,
                        onFirstAudio: { [weak self] turn, ms in self?.recordFirstAudio(turn, ms: ms) })
        }
        if let model, !model.templateRecognised {
            events.push(RuntimeEvent(kind: .error, errorKind: .unsupportedModel,
                                     text: "chat template not recognised; using \(model.template.rawValue)"))
        }
    }

    deinit { shutdown() }

    /// Stops the workers (the turn in progress ends at its next token or chunk).
    public func shutdown() {
        lock.withLock { for npc in npcs.values { npc.lock.withLock { _ = npc.activeTurn?.cancel() } } }
        modelWorker.stop()
        for worker in remoteWorkers { worker.stop() }
        voiceWorker.stop()
        try? audioFeed.attach(nil)  // attaching nil cannot fail
    }

    // MARK: NPCs

    public func createNPC(_ config: NPCConfig) throws(RuntimeError) -> NPC {
        try config.validate()
        return lock.withLock {
            let npc = NPC(id: nextNPCID, config: config)
            nextNPCID += 1
            npcs[npc.id] = npc
            return npc
        }
    }

    /// Cancels its turn and forgets the NPC; events already queued stay.
    public func destroyNPC(_ npc: NPC) {
        cancel(npc)
        lock.withLock { _ = npcs.removeValue(forKey: npc.id) }
        audioFeed.forget(npcID: npc.id)
    }

    public var npcCount: Int { lock.withLock { npcs.count } }

    /// The live NPC with this id (events carry ids), or nil once destroyed.
    public func npc(id: UInt64) -> NPC? { lock.withLock { npcs[id] } }

    // MARK: Turns

    /// Hands a player line to an NPC; the reply arrives as events. A line to an NPC
    /// that is still talking (or waiting on a tool result) cancels the old turn
    /// first (barge-in).
    @discardableResult
    public func say(_ npc: NPC, _ line: String) throws(RuntimeError) -> UInt64 {
        try NPCLimits.validatePlayerLine(line)  // a bad argument is reported before a bad state
        guard replySource != nil else { throw RuntimeError(.invalidState, "no dialogue model loaded") }
        let turn: Turn = try lock.withLock { () throws(RuntimeError) -> Turn in
            guard npcs[npc.id] != nil else { throw RuntimeError(.invalidArgument, "NPC \(npc.id) was destroyed") }
            guard pendingTurns[npc.id, default: 0] < maxPendingTurns else {
                throw RuntimeError(.invalidState, "\(npc.config.name) already has \(maxPendingTurns) lines waiting")
            }
            pendingTurns[npc.id, default: 0] += 1
            let t = Turn(id: nextTurnID, npc: npc, line: line, sayTimeMs: events.now())
            nextTurnID += 1
            return t
        }
        let interrupted: Turn? = npc.lock.withLock {
            let old = npc.activeTurn
            npc.activeTurn = turn
            return old?.cancel() == true ? old : nil
        }
        // a new line stops what the NPC was still saying aloud, even from a turn already done
        audioFeed.silence(npcID: npc.id, turnID: turn.id - 1)
        if let interrupted { finish(interrupted, outcome: .cancelled) }
        guard modelWorker.submit({ [self] in self.runLeg(turn) }) else {
            lock.withLock { pendingTurns[npc.id, default: 1] -= 1 }
            throw RuntimeError(.invalidState, "the runtime is shutting down or overloaded")
        }
        return turn.id
    }

    /// The game's answer to a TOOL_CALL event: the turn resumes with `result`
    /// (a JSON value or text) in its context. Each call is answered once.
    public func toolResult(_ npc: NPC, callID: String, result: String) throws(RuntimeError) {
        guard result.utf8.count <= Runtime.maxToolResultBytes else {
            throw RuntimeError(.invalidArgument, "tool result longer than \(Runtime.maxToolResultBytes) bytes")
        }
        guard let turn = npc.lock.withLock({ npc.activeTurn }), turn.takePendingCall(id: callID) != nil else {
            throw RuntimeError(.invalidState, "\(npc.config.name) is not waiting for tool call \"\(callID)\"")
        }
        // The turn is parked: no worker touches it until the leg below is queued.
        turn.toolSteps.append(ChatMessage(.tool, result))
        if !submitLeg(turn) {
            finish(turn, outcome: .failed(.invalidState))
            throw RuntimeError(.invalidState, "the runtime is shutting down or overloaded")
        }
    }

    /// The next event for the game, never blocking. A tool call passes the game's
    /// guard and the tool's rate limit here, on the game's thread: a refused call
    /// comes out as ERROR (toolRejected, with the arguments) and its refusal goes
    /// back to the model as the tool result.
    public func poll() -> RuntimeEvent? {
        answerPrechecks()
        guard let e = nextEvent() else { return audioFeed.pump() }
        if e.kind == .audio || e.kind == .done {
            let position = e.kind == .audio ? lock.withLock { npcs[e.npcID] }.map { n in
                SIMD3(n.config.position.x, n.config.position.y, n.config.position.z)
            } : nil
            if let problem = audioFeed.deliver(e, position: position) { events.push(problem) }
        }
        return e
    }

    private func nextEvent() -> RuntimeEvent? {
        while let e = events.poll() {
            guard e.kind == .toolCall, let callID = e.callID, let name = e.name,
                  let npc = lock.withLock({ npcs[e.npcID] }) else { return e }
            guard let reason = npc.admit(tool: name, arguments: e.text ?? "{}", now: events.now()) else { return e }
            var refused = RuntimeEvent(kind: .error, errorKind: .toolRejected, npcID: e.npcID, turnID: e.turnID,
                                       text: reason, name: name)
            refused.toolArguments = e.text
            // the turn may have been cancelled meanwhile: then there is nothing to resume
            try? toolResult(npc, callID: callID, result: ToolStep.refusal(reason))
            return refused
        }
        return nil
    }

    /// The game's guard on the calls parked turns are considering (`ToolPrecheck`),
    /// on the game's thread; each turn then goes on with its action narrowed to
    /// what the game allows, or talks, told why it may not act.
    private func answerPrechecks() {
        let waiting: [Turn] = lock.withLock {
            defer { prechecks.removeAll() }
            return prechecks
        }
        for turn in waiting {
            guard let check = turn.takePendingPrecheck() else { continue }  // cancelled meanwhile
            let verdicts = turn.npc.precheck(tool: check.tool.name, candidates: check.candidates, now: events.now())
            switch check.outcome(verdicts) {
            case let .call(tool):
                turn.plan = .call(tool)
            case let .refused(arguments, reason):
                turn.plan = .talk
                turn.toolSteps.append(ToolPrecheck.refusalNote(tool: check.tool.name, arguments: arguments, reason: reason))
            }
            if !submitLeg(turn) { finish(turn, outcome: .failed(.invalidState)) }
        }
    }

    /// Gives the NPC a tool (the game's allowlist for it).
    public func addTool(_ npc: NPC, _ tool: ToolSpec) throws(RuntimeError) {
        try npc.updateConfig { config in
            config.tools.removeAll { $0.name == tool.name }
            config.tools.append(tool)
        }
    }

    /// Adds a sample exchange that shows the character's voice (few-shot).
    public func addExample(_ npc: NPC, _ example: DialogueExample) throws(RuntimeError) {
        try npc.updateConfig { $0.examples.append(example) }
    }

    /// Adds an exact reply for lines close to `line.trigger` (route "authored").
    public func addAuthoredLine(_ npc: NPC, _ line: AuthoredLine) throws(RuntimeError) {
        try npc.updateConfig { $0.authored.append(line) }
    }

    /// Replaces the NPC's voice style (a preset name or a JSON style, see `VoiceStyle.parse`);
    /// the next sentence speaks with it.
    public func setVoice(_ npc: NPC, style text: String) throws(RuntimeError) {
        let style = try VoiceStyle.parse(text)
        try npc.updateConfig { $0.voice = style }
    }

    /// The game's precondition for one of the NPC's tools (nil removes it).
    public func setToolGuard(_ npc: NPC, tool: String, _ check: ToolGuard?) throws(RuntimeError) {
        guard npc.config.tools.contains(where: { $0.name == tool }) else {
            throw RuntimeError(.invalidArgument, "\(npc.config.name) has no tool \"\(tool)\"")
        }
        npc.setToolGuard(tool, check)
    }

    /// At most `maxCalls` calls of `tool` handed to the game per `seconds` (0 calls: no limit).
    public func setToolRateLimit(_ npc: NPC, tool: String, maxCalls: Int, seconds: Double) throws(RuntimeError) {
        guard npc.config.tools.contains(where: { $0.name == tool }) else {
            throw RuntimeError(.invalidArgument, "\(npc.config.name) has no tool \"\(tool)\"")
        }
        try NPCLimits.check(maxCalls, in: NPCLimits.toolCallsPerWindow, "max calls")
        try NPCLimits.check(Float(seconds), in: NPCLimits.toolRateWindowSeconds, "rate window in seconds")
        npc.setToolRateLimit(tool, maxCalls == 0 ? nil : ToolRateLimit(maxCalls: maxCalls, windowMs: seconds * 1000))
    }

    /// Ends the NPC's current turn early (its DONE event carries the cancellation).
    /// With `turnID`, only if that turn is still the current one (a game's handle
    /// to a finished turn must not cancel a later one).
    public func cancel(_ npc: NPC, turnID: UInt64? = nil) {
        guard let turn = npc.lock.withLock({ npc.activeTurn }), turnID == nil || turn.id == turnID else { return }
        if turn.cancel() {
            audioFeed.silence(npcID: npc.id, turnID: turn.id)
            finish(turn, outcome: .cancelled)
        }
    }

    /// Moves the NPC in the game world (finite coordinates; positioned audio reads it).
    public func setPosition(_ npc: NPC, x: Float, y: Float, z: Float) throws(RuntimeError) {
        try npc.updateConfig { $0.position = (x, y, z) }
        try audioFeed.place(npcID: npc.id, position: SIMD3(x, y, z))
    }

    /// A game script failed on one of the NPC's events (a tool, guard or callback):
    /// an ERROR event (`script`) for that NPC and turn, so the game's log sees it.
    public func reportScriptError(npcID: UInt64, turnID: UInt64, _ message: String) {
        events.push(RuntimeEvent(kind: .error, errorKind: .script, npcID: npcID, turnID: turnID,
                                 text: String(message.prefix(NPCLimits.maxScriptErrorCharacters))))
    }

    public func stats() -> RuntimeStats {
        lock.withLock {
            var s = totals
            s.npcCount = npcs.count
            return s
        }
    }

    // MARK: The model and remote workers

    /// Queues the turn's next leg on the worker of its route; false if that worker
    /// is stopping or full.
    private func submitLeg(_ turn: Turn) -> Bool {
        let npcID = turn.npc.id
        lock.withLock { pendingTurns[npcID, default: 0] += 1 }
        let worker = turn.route == .remote ? remoteWorkers[Int(turn.npc.id % UInt64(remoteWorkers.count))] : modelWorker
        guard worker.submit({ [self] in self.runLeg(turn) }) else {
            lock.withLock { pendingTurns[npcID, default: 1] -= 1 }
            return false
        }
        return true
    }

    /// A turn's legs: from its prompt to the end of the reply, or to a tool call
    /// the game must answer, where the turn parks and the worker moves on to other
    /// NPCs. A call that fails the NPC's allowlist or the tool's schema does not
    /// reach the game: the refusal is the tool result and the next leg starts at
    /// once. The first leg decides the route on the model worker; remote legs
    /// run on the remote worker, and a failed one hands the turn back to the
    /// local model, which continues from the text already spoken.
    private func runLeg(_ turn: Turn) {
        let npc = turn.npc
        defer { lock.withLock { pendingTurns[npc.id, default: 1] -= 1 } }
        guard replySource != nil, !turn.cancelled else { finish(turn, outcome: .cancelled); return }
        if turn.route == nil, let match = AuthoredLineMatcher.match(turn.line, in: npc.config.authored) {
            speakAuthored(match.line, score: match.score, turn: turn)
            return
        }
        if turn.route == nil {
            let decision = decideRoute(turn)
            turn.route = .local
            events.push(RuntimeEvent(kind: .route, npcID: npc.id, turnID: turn.id, text: decision.json))
            if decision.route == .bridge {
                // the player hears the NPC at once; the remote continues from the opening
                let opening = BridgeLine.pick(seed: config.seed &+ npc.id &* 31 &+ npc.turnCount)
                emit(opening, turn: turn)
                turn.continuation = opening
            }
            if decision.route != .local {
                turn.route = .remote
                if !submitLeg(turn) { finish(turn, outcome: .failed(.invalidState)) }
                return
            }
        }
        guard let source = turn.route == .remote ? remote : replySource else { finish(turn, outcome: .cancelled); return }
        var legText = ""
        do throws(RuntimeError) {
            if case .undecided = turn.plan, turn.route == .local, let decider = source as? ActionDeciding,
               try !decideAction(turn, decider) { return }
            legs: while true {
                var request = PromptAssembly.request(for: turn)
                request.continuation = turn.continuation
                request.isCancelled = { [weak turn] in turn?.cancelled ?? true }
                turn.continuation = ""
                legText = request.continuation
                var stream = try source.start(request)
                var end = LegEnd.replied
                pieces: while true {
                    waitForFirstAudio(turn)
                    if turn.cancelled { break }
                    guard let piece = try stream.next() else { break }
                    switch piece {
                    case let .text(text):
                        legText += text
                        emit(text, turn: turn)
                    case let .toolCall(call):
                        end = toolStep(turn, call: call, after: legText)
                        if end != .replied { break pieces }
                    }
                }
                add(stream.stats, to: turn)
                switch end {
                case .replied: break legs
                case .parked: return
                case .refused: continue legs
                }
            }
            if let rest = turn.chunker.finish(), !turn.cancelled { speechStage?.speak(rest, turn: turn) }
            complete(turn)
            if turn.route == .local && !turn.cancelled {
                waitForFirstAudio(turn)
                source.prepareNextTurn(npc)
            }
        } catch {
            if turn.route == .remote {
                fallBack(turn, after: error, spoken: legText)
                return
            }
            npc.cache?.truncate(to: 0)  // a failed step may have left the cache half-written
            events.push(RuntimeEvent(kind: .error, errorKind: error.kind, npcID: npc.id, turnID: turn.id, text: error.message))
            finish(turn, outcome: .failed(error.kind))
        }
    }

    /// The first local leg's decision: talk, or act. An action the game has a say on
    /// (a guard or a rate limit) is first put to the game (`ToolPrecheck`): the turn
    /// parks until `poll` has the answer, and false is returned.
    private func decideAction(_ turn: Turn, _ decider: any ActionDeciding) throws(RuntimeError) -> Bool {
        var request = PromptAssembly.request(for: turn)
        request.continuation = turn.continuation
        guard turn.toolSteps.isEmpty, let tool = try decider.chooseAction(request) else {
            turn.plan = .talk
            return true
        }
        let npc = turn.npc
        guard npc.hasPrecondition(tool.name), let declared = npc.config.tools.first(where: { $0.name == tool.name }),
              let check = ToolPrecheck(tool: tool, original: declared) else {
            turn.plan = .call(tool)
            return true
        }
        // parked before poll can see it, so an answer finds it waiting
        guard turn.park(on: check) else { finish(turn, outcome: .cancelled); return false }
        lock.withLock { prechecks.append(turn) }
        return false
    }

    /// Audio first: on a small CPU the first sentence's synthesis must not share the
    /// cores with the model, so model work after a piece waits for its first chunk.
    private func waitForFirstAudio(_ turn: Turn) {
        while turn.awaitingFirstAudio && !turn.cancelled { usleep(500) }
    }

    /// A remote leg failed: the game hears why (ERROR, then ROUTE) and the local
    /// model finishes the turn from what was already said, so the NPC never goes silent.
    private func fallBack(_ turn: Turn, after error: RuntimeError, spoken: String) {
        let npc = turn.npc
        if turn.cancelled || error.kind == .cancelled { finish(turn, outcome: .cancelled); return }
        lock.withLock { totals.remoteFallbacks += 1 }
        events.push(RuntimeEvent(kind: .error, errorKind: error.kind, npcID: npc.id, turnID: turn.id,
                                 text: error.message + "; the local model finishes the turn"))
        let decision = RouteDecision(route: .local, reasons: ["fallback: " + error.message])
        events.push(RuntimeEvent(kind: .route, npcID: npc.id, turnID: turn.id, text: decision.json))
        turn.route = .local
        turn.continuation = spoken
        if !submitLeg(turn) { finish(turn, outcome: .failed(.invalidState)) }
    }

    /// The designer's exact reply: ROUTE "authored", the text, its speech; no model runs.
    private func speakAuthored(_ line: AuthoredLine, score: Double, turn: Turn) {
        turn.route = .authored
        let decision = RouteDecision(route: .authored,
                                     reasons: ["authored line \"\(line.trigger.prefix(80))\" (match \(String(fixed: score, decimals: 2)))"])
        events.push(RuntimeEvent(kind: .route, npcID: turn.npc.id, turnID: turn.id, text: decision.json))
        emit(line.reply, turn: turn)
        if let rest = turn.chunker.finish(), !turn.cancelled { speechStage?.speak(rest, turn: turn) }
        complete(turn)
    }

    enum LegEnd { case replied, parked, refused }

    private func emit(_ text: String, turn: Turn) {
        guard !text.isEmpty else { return }
        if turn.stats.firstTextMs == nil { turn.stats.firstTextMs = events.now() - turn.sayTimeMs }
        turn.reply += text
        events.push(RuntimeEvent(kind: .text, npcID: turn.npc.id, turnID: turn.id, text: text))
        for piece in turn.chunker.feed(text) { speechStage?.speak(piece, turn: turn) }
    }

    /// The tool step on the model worker. A call within the step budget that names
    /// one of the NPC's tools with valid arguments goes to the game as TOOL_CALL
    /// (`.parked`); an invalid one is reported (ERROR, toolRejected) and its refusal
    /// becomes the tool result (`.refused`); past the budget the call is dropped and
    /// the reply goes on (`.replied`).
    private func toolStep(_ turn: Turn, call proposed: ToolCall, after legText: String) -> LegEnd {
        let npc = turn.npc
        let step = turn.toolSteps.count / 2
        guard step < Runtime.maxToolSteps else {
            rejected(proposed, turn: turn,
                     reason: "\(npc.config.name) asked for more than \(Runtime.maxToolSteps) tool calls in one turn; \(proposed.name) was not called")
            return .replied
        }
        var call = proposed
        call.id = "\(turn.id).\(step + 1)"  // unique per runtime, whatever the source named it
        if let rest = turn.chunker.finish(), !turn.cancelled { speechStage?.speak(rest, turn: turn) }
        turn.toolSteps.append(ChatMessage(.assistant, legText + call.transcript))
        if let problem = ToolStep.problem(with: call, tools: npc.config.tools) {
            rejected(call, turn: turn, reason: problem)
            turn.toolSteps.append(ChatMessage(.tool, ToolStep.refusal(problem)))
            return .refused
        }
        // parked before the game can see the call, so an immediate answer finds it waiting
        guard turn.park(on: call) else { return .replied }
        var e = RuntimeEvent(kind: .toolCall, npcID: npc.id, turnID: turn.id, text: call.arguments, name: call.name)
        e.callID = call.id
        events.push(e)
        return .parked
    }

    private func rejected(_ call: ToolCall, turn: Turn, reason: String) {
        var e = RuntimeEvent(kind: .error, errorKind: .toolRejected, npcID: turn.npc.id, turnID: turn.id, text: reason, name: call.name)
        e.toolArguments = call.arguments
        events.push(e)
    }

    private func add(_ leg: ReplyStats, to turn: Turn) {
        turn.stats.remoteTokens += leg.remoteTokens
        guard leg.remoteTokens == 0 else { return }
        turn.stats.promptTokens = leg.promptTokens
        turn.stats.prefilledTokens += leg.prefilledTokens
        turn.stats.generatedTokens += leg.generatedTokens
        turn.stats.prefillMs += leg.prefillMs
    }

    private func complete(_ turn: Turn) {
        var stats = turn.stats
        stats.generateMs = events.now() - turn.sayTimeMs - stats.prefillMs
        stats.firstAudioMs = turn.firstAudioMs
        turn.npc.record(user: turn.line, note: turn.route == .authored ? nil : turn.factsNote, toolSteps: turn.toolSteps,
                        reply: turn.reply.trimmedWhitespace, stats: stats)
        lock.withLock {
            totals.turnsCompleted += 1
            totals.tokensPrefilled += UInt64(stats.prefilledTokens)
            totals.tokensGenerated += UInt64(stats.generatedTokens)
            totals.remoteTokens += UInt64(stats.remoteTokens)
            totals.lastTurn = stats
        }
        finish(turn, outcome: turn.cancelled ? .cancelled : .ok)
    }

    private func decideRoute(_ turn: Turn) -> RouteDecision {
        let npc = turn.npc
        let config = npc.config
        guard let router else { return RouteDecision(route: .local, reasons: ["no router configured"]) }
        var decision = router.decide(RouteRequest(npcName: config.name, policy: config.policy, line: turn.line,
                                                  historyExchanges: Int(npc.turnCount), toolCount: config.tools.count,
                                                  knowledgeLines: config.knowledge.count, knowledge: config.knowledge, remoteAvailable: remote?.isAvailable ?? false))
        if decision.route != .local && remote == nil {
            decision = RouteDecision(route: .local, reasons: decision.reasons + ["no remote model configured"])
        }
        return decision
    }

    enum Outcome { case ok, cancelled, failed(ErrorKind) }

    /// DONE goes through the voice worker when there is a voice, so it comes after the turn's audio.
    private func finish(_ turn: Turn, outcome: Outcome) {
        let events = self.events
        let reply = turn.reply.trimmedWhitespace
        let done: @Sendable () -> Void = {
            var e = RuntimeEvent(kind: .done, npcID: turn.npc.id, turnID: turn.id)
            switch outcome {
            case .ok: e.errorKind = turn.cancelled ? .cancelled : nil
            case .cancelled: e.errorKind = .cancelled
            case let .failed(kind): e.errorKind = kind
            }
            if case .failed = outcome {} else { e.text = reply }
            events.push(e)
            turn.npc.lock.withLock { if turn.npc.activeTurn === turn { turn.npc.activeTurn = nil } }
        }
        if speechStage?.afterQueuedSpeech(done) != true { done() }
    }

    private func recordFirstAudio(_ turn: Turn, ms: Double) {
        turn.npc.updateStats { s in
            if s.turnID == turn.id, s.firstAudioMs == nil { s.firstAudioMs = ms }
        }
        lock.withLock {
            if totals.lastTurn.turnID == turn.id, totals.lastTurn.firstAudioMs == nil { totals.lastTurn.firstAudioMs = ms }
        }
    }

    static func cpuCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

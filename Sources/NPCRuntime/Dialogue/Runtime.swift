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
    public var lastTurn = TurnStats()
}

public final class Runtime: @unchecked Sendable {
    public let config: RuntimeConfig
    public let events = EventQueue()
    public let model: LanguageModel?
    public let speech: SpeechSynthesizer?
    /// Player lines waiting per NPC beyond the one being answered.
    public let maxPendingTurns = 4
    /// Audio the game may leave unpolled before the voice worker waits (seconds).
    public let maxQueuedAudioSeconds = 30.0

    private let modelWorker = SerialWorker(capacity: 64)
    private let voiceWorker = SerialWorker(capacity: 512)
    private let lock = Lock()
    private var npcs: [UInt64: NPC] = [:]
    private var pendingTurns: [UInt64: Int] = [:]
    private var nextNPCID: UInt64 = 1
    private var nextTurnID: UInt64 = 1
    private var totals = RuntimeStats()

    public init(config: RuntimeConfig) throws(RuntimeError) {
        self.config = config
        let threads = config.threads > 0 ? config.threads : min(4, max(1, Runtime.cpuCount()))
        model = try config.modelPath.map { name throws(RuntimeError) in
            try LanguageModel(path: ModelLocator.resolve(name), threads: threads, contextLength: config.contextLength)
        }
        speech = try config.voicePath.map { name throws(RuntimeError) in
            let onnx = try ModelLocator.resolve(name)
            guard ModelLocator.exists(onnx + ".json") else {
                throw RuntimeError(.fileNotFound, "\(onnx).json: voice config missing (Piper voices come as .onnx + .onnx.json)")
            }
            return try SpeechSynthesizer(voicePath: onnx, phonemizer: config.phonemizer, threads: threads)
        }
        if let model, !model.templateRecognised {
            events.push(RuntimeEvent(kind: .error, errorKind: .unsupportedModel,
                                     text: "chat template not recognised; using \(model.template.rawValue)"))
        }
    }

    deinit { shutdown() }

    /// Stops the workers (the turn in progress ends at its next token or chunk).
    public func shutdown() {
        lock.withLock { for npc in npcs.values { npc.lock.withLock { npc.activeTurn?.cancel() } } }
        modelWorker.stop()
        voiceWorker.stop()
    }

    // MARK: NPCs

    public func createNPC(_ config: NPCConfig) throws(RuntimeError) -> NPC {
        try validate(config)
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
    }

    public var npcCount: Int { lock.withLock { npcs.count } }

    func validate(_ c: NPCConfig) throws(RuntimeError) {
        try c.validate()
    }

    // MARK: Turns

    /// Hands a player line to an NPC; the reply arrives as events. A line to an NPC
    /// that is still talking cancels the old turn first (barge-in).
    @discardableResult
    public func say(_ npc: NPC, _ line: String) throws(RuntimeError) -> UInt64 {
        guard model != nil else { throw RuntimeError(.invalidState, "no dialogue model loaded") }
        guard !line.isEmpty, line.utf8.count <= 4096 else { throw RuntimeError(.invalidArgument, "player line must be 1…4096 bytes") }
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
        npc.lock.withLock {
            npc.activeTurn?.cancel()
            npc.activeTurn = turn
        }
        guard modelWorker.submit({ [self] in self.generate(turn) }) else {
            lock.withLock { pendingTurns[npc.id, default: 1] -= 1 }
            throw RuntimeError(.invalidState, "the runtime is shutting down or overloaded")
        }
        return turn.id
    }

    /// Ends the NPC's current turn early (its DONE event carries the cancellation).
    public func cancel(_ npc: NPC) {
        npc.lock.withLock { npc.activeTurn?.cancel() }
    }

    public func stats() -> RuntimeStats {
        lock.withLock {
            var s = totals
            s.npcCount = npcs.count
            return s
        }
    }

    // MARK: The model worker

    private func generate(_ turn: Turn) {
        let npc = turn.npc
        defer { lock.withLock { pendingTurns[npc.id, default: 1] -= 1 } }
        guard let model, !turn.cancelled else { finish(turn, outcome: .cancelled, reply: nil); return }
        var stats = TurnStats()
        stats.turnID = turn.id
        do throws(RuntimeError) {
            // prompt: persona + lore + history + the new line; drop the oldest exchanges if it will not fit
            let maxReply = npc.config.maxReplyTokens
            var tokens = model.tokenize(npc.messages(adding: turn.line))
            while tokens.count + maxReply > model.contextLength, npc.dropOldestExchange() {
                tokens = model.tokenize(npc.messages(adding: turn.line))
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
            stats.promptTokens = tokens.count
            stats.prefilledTokens = tokens.count - reused
            events.push(routeEvent(turn, npc: npc))

            let t0 = monotonicMs()
            var logits = try model.transformer.forward(Array(tokens[reused...]), cache: cache)
            stats.prefillMs = monotonicMs() - t0

            var sampling = npc.config.sampler
            sampling.seed = config.seed &+ sampling.seed &+ npc.id &* 0x9E37_79B9 &+ npc.turnCount &* 7919
            var sampler = Sampler(sampling)
            var decoder = StreamingDecoder(tokenizer: model.tokenizer, renderSpecial: false)
            var chunker = SentenceChunker()
            var reply = ""
            let t1 = monotonicMs()
            func emit(_ text: String) {
                guard !text.isEmpty else { return }
                if stats.firstTextMs == nil { stats.firstTextMs = events.now() - turn.sayTimeMs }
                reply += text
                events.push(RuntimeEvent(kind: .text, npcID: npc.id, turnID: turn.id, text: text))
                for piece in chunker.feed(text) { speak(piece, turn: turn) }
            }
            for _ in 0..<maxReply {
                // audio first: on a small CPU the first sentence's synthesis must not share it
                while turn.awaitingFirstAudio && !turn.cancelled { usleep(500) }
                if turn.cancelled { break }
                let token = sampler.sample(logits, history: cache.tokens)
                if model.stopTokens.contains(token) { break }
                stats.generatedTokens += 1
                emit(decoder.feed(token))
                guard cache.count < cache.capacity else { break }
                logits = try model.transformer.forward([token], cache: cache)
            }
            emit(decoder.finish())
            if let rest = chunker.finish(), !turn.cancelled { speak(rest, turn: turn) }
            stats.generateMs = monotonicMs() - t1
            stats.firstAudioMs = turn.firstAudioMs
            npc.record(user: turn.line, reply: reply.trimmedWhitespace, stats: stats)
            lock.withLock {
                totals.turnsCompleted += 1
                totals.tokensPrefilled += UInt64(stats.prefilledTokens)
                totals.tokensGenerated += UInt64(stats.generatedTokens)
                totals.lastTurn = stats
            }
            finish(turn, outcome: turn.cancelled ? .cancelled : .ok, reply: reply)
        } catch {
            npc.cache?.truncate(to: 0)  // a failed step may have left the cache half-written
            events.push(RuntimeEvent(kind: .error, errorKind: error.parleyKind, npcID: npc.id, turnID: turn.id,
                                     text: error.parleyMessage))
            finish(turn, outcome: .failed(error.parleyKind), reply: nil)
        }
    }

    private func routeEvent(_ turn: Turn, npc: NPC) -> RuntimeEvent {
        let policy = npc.config.policy
        let reason = policy == .local ? "designer policy: local" : "no remote model configured"
        let json = JSONValue.object([("route", .string("local")), ("policy", .string(policy.rawValue)),
                                     ("reasons", .array([.string(reason)])), ("cost", .number(0))])
        return RuntimeEvent(kind: .route, npcID: npc.id, turnID: turn.id, text: json.serialized)
    }

    enum Outcome { case ok, cancelled, failed(ErrorKind) }

    /// DONE goes through the voice worker when there is a voice, so it comes after the turn's audio.
    private func finish(_ turn: Turn, outcome: Outcome, reply: String?) {
        let done: @Sendable () -> Void = { [self] in
            var e = RuntimeEvent(kind: .done, npcID: turn.npc.id, turnID: turn.id)
            switch outcome {
            case .ok: e.errorKind = turn.cancelled ? .cancelled : nil
            case .cancelled: e.errorKind = .cancelled
            case let .failed(kind): e.errorKind = kind
            }
            e.text = reply.map(\.trimmedWhitespace)
            events.push(e)
            turn.npc.lock.withLock { if turn.npc.activeTurn === turn { turn.npc.activeTurn = nil } }
        }
        if speech == nil || !voiceWorker.submit(done) { done() }
    }

    // MARK: The voice worker

    private func speak(_ piece: String, turn: Turn) {
        let text = StageDirections.spoken(piece)
        guard speech != nil, text.contains(where: { $0.isLetter || $0.isNumber }) else { return }
        if turn.firstAudioMs == nil && !turn.firstPieceQueued {
            turn.firstPieceQueued = true
            turn.awaitingFirstAudio = true
        }
        let queued = voiceWorker.submit { [self] in self.synthesize(text, turn: turn) }
        if !queued {
            events.push(RuntimeEvent(kind: .error, errorKind: .voice, npcID: turn.npc.id, turnID: turn.id,
                                     text: "voice queue full; a sentence was not spoken"))
        }
    }

    /// Streams one piece of the reply: per sentence, its VISEME track, then AUDIO
    /// chunks as the decoder produces them (the first after a few tens of ms).
    /// Sample positions count from the turn's first audio.
    private func synthesize(_ text: String, turn: Turn) {
        defer { turn.awaitingFirstAudio = false }
        guard let speech, !turn.cancelled else { return }
        let npc = turn.npc
        let style = npc.config.voice
        let rate = Int32(speech.sampleRate)
        do {
            for sentence in try speech.sentences(for: text) where !sentence.ids.isEmpty {
                if turn.cancelled { return }
                let stream = try speech.start(sentence, scales: style.scales(over: speech.scales), speaker: style.speaker,
                                              seed: config.seed &+ turn.id)
                let base = Int64(turn.audioSamples)
                for v in stream.visemes {
                    var e = RuntimeEvent(kind: .viseme, npcID: npc.id, turnID: turn.id, name: v.viseme.rawValue)
                    e.startSample = base + Int64(v.start)
                    e.endSample = base + Int64(v.end)
                    e.sampleRate = rate
                    events.push(e)
                }
                while let chunk = stream.next() {
                    waitForAudioRoom(turn)
                    if turn.cancelled { return }
                    var e = RuntimeEvent(kind: .audio, npcID: npc.id, turnID: turn.id, text: chunk.offset == 0 ? sentence.text : nil)
                    e.samples = Array(chunk.samples)
                    e.sampleRate = rate
                    e.startSample = base + Int64(chunk.offset)
                    e.endSample = e.startSample + Int64(chunk.samples.count)
                    recordFirstAudio(turn)
                    events.push(e)
                    turn.awaitingFirstAudio = false
                }
                turn.audioSamples += stream.sampleCount
            }
        } catch {
            events.push(RuntimeEvent(kind: .error, errorKind: error.kind, npcID: npc.id, turnID: turn.id, text: error.message))
        }
    }

    private func recordFirstAudio(_ turn: Turn) {
        guard turn.firstAudioMs == nil else { return }
        let ms = events.now() - turn.sayTimeMs
        turn.firstAudioMs = ms
        turn.npc.updateStats { s in
            if s.turnID == turn.id, s.firstAudioMs == nil { s.firstAudioMs = ms }
        }
        lock.withLock {
            if totals.lastTurn.turnID == turn.id, totals.lastTurn.firstAudioMs == nil { totals.lastTurn.firstAudioMs = ms }
        }
    }

    /// Back-pressure: the voice worker waits while the game has more than
    /// `maxQueuedAudioSeconds` of audio unpolled, instead of growing memory.
    private func waitForAudioRoom(_ turn: Turn) {
        guard let speech else { return }
        let limit = Int(maxQueuedAudioSeconds * Double(speech.sampleRate))
        while events.queuedSamples > limit && !turn.cancelled { sleepMs(5) }
    }

    static func cpuCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    private func sleepMs(_ ms: Int) { usleep(useconds_t(ms * 1000)) }
}

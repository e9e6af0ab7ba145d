import NPCRuntime

/// Replies from a remote OpenAI-compatible model, streamed. Retries what is safe
/// to retry (the request never reached the model, or it said 408/429/5xx before
/// replying) with jittered exponential backoff; everything else is thrown as
/// `.remote`/`.network` so the runtime lets the local model finish the turn.
/// Runs on whichever worker pulls the stream; the exchange lives as long as the stream.
public final class RemoteReplySource: ReplySource, @unchecked Sendable {
    public let config: RemoteConfig
    public let breaker: CircuitBreaker
    private let transport: any HTTPTransport
    private let clock: any RouterClock
    private let lock = Lock()
    private var jitter: SplitMix64
    private var billedTokens = 0
    private var billedUSD = 0.0
    /// (time, tokens) of recent turns, for a per-minute budget.
    private var recent: [(ms: Double, tokens: Int)] = []
    private var firstByteEWMA: Double?

    public init(config: RemoteConfig, transport: any HTTPTransport = CurlTransport(),
                clock: any RouterClock = SystemClock(), seed: UInt64 = 0) throws(RuntimeError) {
        try config.validate()
        self.config = config
        self.transport = transport
        self.clock = clock
        jitter = SplitMix64(seed: seed ^ 0x5EED_0F_2E_30_7E)
        breaker = CircuitBreaker(failureThreshold: config.breakerFailures, cooldownMs: Double(config.breakerCooldownMs), clock: clock)
    }

    public var isAvailable: Bool { breaker.isAvailable }

    /// Remote tokens and their cost so far (for budgets and reports).
    public var spent: (tokens: Int, usd: Double) { lock.withLock { (billedTokens, billedUSD) } }

    /// Tokens billed in the last `ms` milliseconds.
    public func tokens(inLastMs ms: Double) -> Int {
        let since = clock.nowMs() - ms
        return lock.withLock { recent.reduce(0) { $1.ms >= since ? $0 + $1.tokens : $0 } }
    }

    /// Typical ms from request to the first byte of the reply (moving average), once known.
    public var typicalFirstByteMs: Double? { lock.withLock { firstByteEWMA } }

    public func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
        guard breaker.allowRequest() else {
            throw RuntimeError(.remote, "remote model unavailable: \(breaker.consecutiveFailures) failures in a row, waiting \(config.breakerCooldownMs / 1000) s before trying again")
        }
        var messages = request.messages
        if !request.continuation.isEmpty { messages.append(ChatMessage(.assistant, request.continuation)) }
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "text/event-stream")]
        if let key = config.effectiveKey { headers.append(("Authorization", "Bearer " + key)) }
        let http = HTTPRequest(url: config.completionsURL, headers: headers,
                               body: OpenAIChat.requestBody(model: config.model, messages: messages, tools: request.npc.config.tools,
                                                            maxTokens: request.maxTokens, sampler: request.sampler),
                               connectTimeoutMs: config.connectTimeoutMs, totalTimeoutMs: config.totalTimeoutMs)
        var attempt = 0
        while true {
            let sentMs = clock.nowMs()
            let exchange = transport.open(http)
            let outcome = awaitStatus(exchange, cancelled: request.isCancelled)
            switch outcome {
            case .streaming:
                let waited = clock.nowMs() - sentMs
                lock.withLock { firstByteEWMA = firstByteEWMA.map { 0.7 * $0 + 0.3 * waited } ?? waited }
                return RemoteReplyStream(source: self, exchange: exchange, requestBytes: http.body.count, maxTokens: request.maxTokens,
                                         continuation: request.continuation, isCancelled: request.isCancelled)
            case .cancelled:
                exchange.close()
                breaker.recordSuccess()  // not the remote's fault; release a half-open trial
                throw RuntimeError(.cancelled, "turn cancelled while waiting for the remote model")
            case .retryable where attempt < config.maxRetries:
                exchange.close()
                attempt += 1
                guard backoff(attempt: attempt, cancelled: request.isCancelled) else {
                    breaker.recordSuccess()
                    throw RuntimeError(.cancelled, "turn cancelled while waiting for the remote model")
                }
            case let .retryable(reason), let .fatal(reason):
                exchange.close()
                breaker.recordFailure()
                throw RuntimeError(reason.kind, attempt > 0 ? "\(reason.message) (after \(attempt + 1) attempts)" : reason.message)
            }
        }
    }

    enum StatusOutcome { case streaming, cancelled, retryable(RuntimeError), fatal(RuntimeError) }

    /// Waits for the response status within the first-byte timeout.
    private func awaitStatus(_ exchange: any HTTPExchange, cancelled: () -> Bool) -> StatusOutcome {
        let deadline = clock.nowMs() + Double(config.firstByteTimeoutMs)
        while true {
            if cancelled() { return .cancelled }
            switch exchange.next(timeoutMs: 50) {
            case let .status(code) where (200..<300).contains(code):
                return .streaming
            case let .status(code):
                let detail = errorDetail(exchange)
                let error = RuntimeError(.remote, "remote answered HTTP \(code)\(detail.isEmpty ? "" : ": " + detail)")
                return code == 408 || code == 429 || code >= 500 ? .retryable(error) : .fatal(error)
            case let .failed(failure):
                let error = RuntimeError(failure.kind == .connect ? .network : .remote, "remote \(failure.kind == .connect ? "unreachable" : "failed"): \(failure.message)")
                return failure.kind == .connect ? .retryable(error) : .fatal(error)
            case .end:
                return .fatal(RuntimeError(.remote, "remote closed the connection without a reply"))
            case .bytes, .idle:
                if clock.nowMs() >= deadline {
                    return .retryable(RuntimeError(.remote, "remote sent nothing within \(config.firstByteTimeoutMs) ms"))
                }
            }
        }
    }

    /// The server's error message from a failed status's body (short, bounded wait).
    private func errorDetail(_ exchange: any HTTPExchange) -> String {
        var body: [UInt8] = []
        let deadline = clock.nowMs() + 500
        loop: while body.count < 2048 && clock.nowMs() < deadline {
            switch exchange.next(timeoutMs: 50) {
            case let .bytes(b): body += b.prefix(2048 - body.count)
            case .idle, .status: continue
            case .end, .failed: break loop
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        if let json = try? JSONParser.parse(text), let message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue {
            return String(message.prefix(200))
        }
        return String(text.prefix(200)).trimmedWhitespace
    }

    /// Sleeps base·2^(attempt-1)·[0.5, 1.5) in slices; false if the turn was cancelled.
    private func backoff(attempt: Int, cancelled: () -> Bool) -> Bool {
        let factor = lock.withLock { 0.5 + jitter.nextDouble() }
        var left = Double(config.retryBaseMs) * Double(1 << min(attempt - 1, 10)) * factor
        while left > 0 {
            if cancelled() { return false }
            let slice = min(left, 50)
            clock.sleep(ms: slice)
            left -= slice
        }
        return !cancelled()
    }

    fileprivate func bill(prompt: Int, completion: Int) {
        lock.withLock {
            billedTokens += prompt + completion
            billedUSD += config.cost(promptTokens: prompt, completionTokens: completion)
            let now = clock.nowMs()
            recent.removeAll { now - $0.ms > 60_000 }
            if recent.count < 4096 { recent.append((now, prompt + completion)) }
        }
    }

    fileprivate var idleTimeoutMs: Double { Double(config.idleTimeoutMs) }
    fileprivate var now: Double { clock.nowMs() }
}

/// One remote reply being read. Ends the exchange on every way out.
final class RemoteReplyStream: ReplyStream {
    private let source: RemoteReplySource
    private var exchange: (any HTTPExchange)?
    private var decoder = ChatStreamDecoder()
    private var echo: ContinuationEcho
    private var pending: [ReplyPiece] = []
    private let maxContentBytes: Int
    private let isCancelled: @Sendable () -> Bool
    private var lastByteMs: Double
    /// Used when the server reports no usage: about four bytes of JSON per token.
    private let promptEstimate: Int
    private(set) var stats = ReplyStats()

    init(source: RemoteReplySource, exchange: any HTTPExchange, requestBytes: Int, maxTokens: Int, continuation: String,
         isCancelled: @escaping @Sendable () -> Bool) {
        self.source = source
        echo = ContinuationEcho(continuation)
        promptEstimate = requestBytes / 4
        self.exchange = exchange
        // a server that ignores max_tokens (or never ends) is cut off at a generous bound
        maxContentBytes = max(1, maxTokens) * 16
        self.isCancelled = isCancelled
        lastByteMs = source.now
    }

    deinit { exchange?.close() }

    func next() throws(RuntimeError) -> ReplyPiece? {
        while pending.isEmpty {
            guard let exchange else { return nil }
            if isCancelled() { end(success: true); return nil }
            let event = exchange.next(timeoutMs: 50)
            do throws(RuntimeError) {
                switch event {
                case let .bytes(bytes):
                    lastByteMs = source.now
                    pending += try decoder.feed(bytes).compactMap(dropEcho)
                    if decoder.sawDone { pending += try flushEcho() + decoder.finish(); end(success: true) }
                    else if decoder.contentBytes > maxContentBytes { end(success: true) }
                case .idle:
                    if source.now - lastByteMs > source.idleTimeoutMs {
                        throw RuntimeError(.remote, "remote stalled for \(Int(source.idleTimeoutMs)) ms mid-reply")
                    }
                case .status:
                    continue
                case .end:
                    pending += try flushEcho() + decoder.finish()
                    end(success: true)
                case let .failed(failure):
                    throw RuntimeError(.remote, "remote connection broke mid-reply: \(failure.message)")
                }
            } catch {
                end(success: false)
                throw error
            }
        }
        return pending.removeFirst()
    }

    private func dropEcho(_ piece: ReplyPiece) -> ReplyPiece? {
        guard case let .text(text) = piece else { return piece }
        let rest = echo.filter(text)
        return rest.isEmpty ? nil : .text(rest)
    }

    private func flushEcho() -> [ReplyPiece] {
        let rest = echo.flush()
        return rest.isEmpty ? [] : [.text(rest)]
    }

    private func end(success: Bool) {
        exchange?.close()
        exchange = nil
        if success { source.breaker.recordSuccess() } else { source.breaker.recordFailure() }
        let completion = decoder.completionTokens ?? (decoder.contentBytes + 3) / 4
        let prompt = decoder.promptTokens ?? promptEstimate
        stats.remoteTokens = prompt + completion
        source.bill(prompt: prompt, completion: completion)
    }
}

import Testing
import NPCRuntime
@testable import ComputeRouter

/// The remote client against a loopback server playing faults. Timeouts are
/// short so every fault resolves in well under a second.
@Suite struct RemoteReplySourceTests {
    func config(_ server: FakeRemoteServer, retries: Int = 0) -> RemoteConfig {
        var c = RemoteConfig(baseURL: server.url, model: "big-model", apiKey: "sk-test-secret")
        c.connectTimeoutMs = 500
        c.firstByteTimeoutMs = 400
        c.idleTimeoutMs = 300
        c.totalTimeoutMs = 5_000
        c.maxRetries = retries
        c.retryBaseMs = 10
        return c
    }

    func request(maxTokens: Int = 64, tools: [ToolSpec] = [], cancelled: @escaping @Sendable () -> Bool = { false }) -> ReplyRequest {
        var npc = NPCConfig(name: "Mara", persona: "An innkeeper.")
        npc.tools = tools
        var r = ReplyRequest(npc: NPC(id: 1, config: npc), messages: [ChatMessage(.system, "You are Mara."), ChatMessage(.user, "Hello")],
                             shorten: { nil }, maxTokens: maxTokens, sampler: SamplerConfig())
        r.isCancelled = cancelled
        return r
    }

    /// Every piece until the end, or the error that ended it.
    func drain(_ stream: any ReplyStream) -> (pieces: [ReplyPiece], error: RuntimeError?) {
        var stream = stream
        var pieces: [ReplyPiece] = []
        do {
            while let p = try stream.next() { pieces.append(p) }
        } catch { return (pieces, error) }
        return (pieces, nil)
    }

    @Test func streamsTextAndBillsTheReportedUsage() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.reply(["Evening", ", love."])])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let stream = try remote.start(request())
        let (pieces, error) = drain(stream)
        #expect(error == nil)
        #expect(pieces == [.text("Evening"), .text(", love.")])
        #expect(remote.spent.tokens == 45)
        let sent = try #require(server.requests.first)
        #expect(sent.hasPrefix("POST /v1/chat/completions HTTP/1.1"))
        #expect(sent.contains("Authorization: Bearer sk-test-secret"))
        let body = try JSONParser.parse(String(sent[try #require(sent.firstRange(of: "\r\n\r\n")).upperBound...]))
        #expect(body["model"]?.stringValue == "big-model")
        #expect(body["stream"] == .bool(true))
        #expect(body["messages"]?.arrayValue?.count == 2)
        #expect(body["messages"]?.arrayValue?.last?["content"]?.stringValue == "Hello")
        #expect(remote.breaker.state == .closed)
    }

    @Test func retriesA500ThenStreams() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(500), FakeRemoteServer.reply(["Second try."])])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server, retries: 2))
        let (pieces, error) = drain(try remote.start(request()))
        #expect(error == nil && pieces == [.text("Second try.")])
        #expect(server.connections == 2)
    }

    @Test func gives429UpAfterTheRetriesWithTheServersMessage() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(429, body: #"{"error":{"message":"rate limited"}}"#)])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server, retries: 2))
        #expect(throws: RuntimeError.self) { _ = try remote.start(request()) }
        do { _ = try remote.start(request()) } catch {
            #expect(error.kind == .remote)
            #expect(error.message == "remote answered HTTP 429: rate limited (after 3 attempts)")
        }
        #expect(server.connections == 6)
    }

    @Test func doesNotRetryA400() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(400, body: #"{"error":{"message":"bad model"}}"#)])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server, retries: 2))
        do { _ = try remote.start(request()); Issue.record("a 400 must throw") } catch {
            #expect(error.message == "remote answered HTTP 400: bad model")
        }
        #expect(server.connections == 1)
    }

    @Test func unreachableServerIsANetworkError() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.reply(["x"])])
        let url = server.url
        server.stop()  // nothing listens on the port now
        var c = RemoteConfig(baseURL: url, model: "m")
        c.maxRetries = 1
        c.retryBaseMs = 1
        let remote = try RemoteReplySource(config: c)
        do { _ = try remote.start(request()); Issue.record("must throw") } catch {
            #expect(error.kind == .network)
            #expect(error.message.hasPrefix("remote unreachable"))
        }
    }

    @Test func stallBeforeTheFirstByteTimesOut() throws {
        let server = try FakeRemoteServer([[.sleep(ms: 3_000)]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let t0 = monotonicMs()
        do { _ = try remote.start(request()); Issue.record("must throw") } catch {
            #expect(error.message == "remote sent nothing within 400 ms")
        }
        #expect(monotonicMs() - t0 < 2_000)
    }

    @Test func resetMidStreamKeepsTheTextAndThrows() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Well, the ")), .sleep(ms: 50), .reset]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request()))
        #expect(pieces == [.text("Well, the ")])
        #expect(error?.kind == .remote)
        #expect(remote.breaker.consecutiveFailures == 1)
    }

    @Test func endWithoutFinishIsAnError() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Half"))]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request()))
        #expect(pieces == [.text("Half")])
        #expect(error?.message == "remote stream ended before the reply was finished")
    }

    @Test func malformedSSEIsAnError() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .send("data: {\"choices\": [oops\n\n")]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request()))
        #expect(pieces.isEmpty)
        #expect(error?.kind == .remote && error?.message.hasPrefix("remote stream: invalid JSON") == true)
    }

    @Test func slowDripWithinTheIdleTimeoutCompletes() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .drip(FakeRemoteServer.chunk("a "), everyMs: 100, limit: 5),
                                            .send(FakeRemoteServer.finish), .send(FakeRemoteServer.done)]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request()))
        #expect(error == nil)
        #expect(pieces.count == 5)
    }

    @Test func stallMidStreamTimesOut() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Hm")), .sleep(ms: 3_000)]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let t0 = monotonicMs()
        let (pieces, error) = drain(try remote.start(request()))
        #expect(pieces == [.text("Hm")])
        #expect(error?.message == "remote stalled for 300 ms mid-reply")
        #expect(monotonicMs() - t0 < 2_000)
    }

    @Test func neverEndingStreamIsCutAtTheTokenBound() throws {
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .drip(FakeRemoteServer.chunk("la "), everyMs: 1, limit: 100_000)]])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request(maxTokens: 16)))
        #expect(error == nil)
        // past 16 tokens × 16 bytes (plus what one read brought) the reply is cut, as completed
        let bytes = pieces.reduce(0) { n, p in if case let .text(t) = p { return n + t.utf8.count }; return n }
        #expect(bytes > 256 && bytes < 64 * 1024)
        #expect(remote.breaker.state == .closed)
    }

    @Test func cancellationEndsTheWaitAtOnce() throws {
        let server = try FakeRemoteServer([[.sleep(ms: 3_000)]])
        defer { server.stop() }
        var c = config(server)
        c.firstByteTimeoutMs = 10_000
        let remote = try RemoteReplySource(config: c)
        let t0 = monotonicMs()
        do { _ = try remote.start(request(cancelled: { monotonicMs() - t0 > 100 })); Issue.record("must throw") } catch {
            #expect(error.kind == .cancelled)
        }
        #expect(monotonicMs() - t0 < 1_000)
        #expect(remote.breaker.state == .closed)
    }

    @Test func toolCallFragmentsBecomeOneCall() throws {
        let head = #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"rent_room","arguments":""}}]}}]}"#
        let part1 = #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"nig"}}]}}]}"#
        let part2 = #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"hts\": 2}"}}]},"finish_reason":"tool_calls"}]}"#
        let server = try FakeRemoteServer([[FakeRemoteServer.sseHead(), .send(head + "\n\n"), .send(part1 + "\n\n"), .send(part2 + "\n\n"),
                                            .send(FakeRemoteServer.done)]])
        defer { server.stop() }
        let tool = try ToolSpec(name: "rent_room", description: "Rent a room.",
                                parametersJSON: #"{"type":"object","properties":{"nights":{"type":"integer","minimum":1,"maximum":7}},"required":["nights"]}"#)
        let remote = try RemoteReplySource(config: config(server))
        let (pieces, error) = drain(try remote.start(request(tools: [tool])))
        #expect(error == nil)
        #expect(pieces == [.toolCall(ToolCall(id: "call_9", name: "rent_room", arguments: #"{"nights": 2}"#))])
        let sent = try #require(server.requests.first)
        let body = try JSONParser.parse(String(sent[try #require(sent.firstRange(of: "\r\n\r\n")).upperBound...]))
        let function = body["tools"]?.arrayValue?.first?["function"]
        #expect(function?["name"]?.stringValue == "rent_room")
        #expect(function?["parameters"]?["properties"]?["nights"]?["maximum"] == .number(7))
    }

    @Test func breakerOpensAfterRepeatedFailuresAndTriesAgainAfterTheCooldown() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(503), FakeRemoteServer.status(503), FakeRemoteServer.status(503),
                                           FakeRemoteServer.reply(["Back."])])
        defer { server.stop() }
        let clock = ManualClock()
        var c = config(server)
        c.breakerFailures = 3
        c.breakerCooldownMs = 30_000
        let remote = try RemoteReplySource(config: c, clock: clock)
        for _ in 0..<3 { #expect(throws: RuntimeError.self) { _ = try remote.start(request()) } }
        #expect(remote.breaker.state == .open && !remote.isAvailable)
        do { _ = try remote.start(request()); Issue.record("open breaker must refuse") } catch {
            #expect(error.message.hasPrefix("remote model unavailable: 3 failures in a row"))
        }
        #expect(server.connections == 3)  // refused without a connection
        clock.advance(ms: 30_001)
        #expect(remote.breaker.state == .halfOpen)
        let (pieces, error) = drain(try remote.start(request()))
        #expect(error == nil && pieces == [.text("Back.")])
        #expect(remote.breaker.state == .closed)
    }

    @Test func theKeyNeverAppearsInErrorsOrDescriptions() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(401, body: #"{"error":{"message":"invalid key"}}"#)])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: config(server))
        #expect(!remote.config.description.contains("sk-test-secret"))
        do { _ = try remote.start(request()) } catch { #expect(!error.message.contains("sk-test-secret")) }
    }

    @Test func configIsValidated() {
        for url in ["ftp://x", "http://a b", "", "http://x\n"] {
            #expect(throws: RuntimeError.self) { try RemoteConfig(baseURL: url, model: "m").validate() }
        }
        var c = RemoteConfig(baseURL: "http://127.0.0.1:1/v1", model: "m")
        c.maxRetries = 50
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.maxRetries = 2
        #expect(c.completionsURL == "http://127.0.0.1:1/v1/chat/completions")
    }
}

/// Time that moves only when a test says so; sleeping advances it.
final class ManualClock: RouterClock, @unchecked Sendable {
    private let lock = Lock()
    private var now = 1_000.0
    func nowMs() -> Double { lock.withLock { now } }
    func sleep(ms: Double) { advance(ms: ms) }
    func advance(ms: Double) { lock.withLock { now += ms } }
}

#if canImport(Glibc)
import Glibc
#endif
import Testing
import NPCRuntime
@testable import ComputeRouter

/// Whole turns with a remote that fails in every way the network can: each
/// ends DONE OK, spoken to the end by the local model, with ERROR and ROUTE
/// events saying what happened.
@Suite struct RemoteFallbackTests {
    func runtime(_ server: FakeRemoteServer, local: ScriptedReplySource) throws -> (Runtime, NPC, RemoteReplySource) {
        var c = RemoteConfig(baseURL: server.url, model: "big")
        c.firstByteTimeoutMs = 300
        c.idleTimeoutMs = 300
        c.maxRetries = 0
        let remote = try RemoteReplySource(config: c)
        let rt = try Runtime(config: RuntimeConfig(), router: PolicyRouter(), replySource: local, remote: remote)
        var npc = NPCConfig(name: "Mara", persona: "An innkeeper.")
        npc.policy = .remote
        return (rt, try rt.createNPC(npc), remote)
    }

    func drain(_ rt: Runtime, turn: UInt64) -> [RuntimeEvent] { turnEvents(rt, turn: turn) }

    func route(_ e: RuntimeEvent) -> String? {
        guard e.kind == .route, let text = e.text else { return nil }
        return (try? JSONParser.parse(text))?["route"]?.stringValue
    }

    @Test func aHealthyRemoteAnswersAndItsTokensAreCounted() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.reply(["Five silver", " a night."])])
        defer { server.stop() }
        let local = ScriptedReplySource(["Mara": [[.text("local")]]])
        let (rt, npc, _) = try runtime(server, local: local)
        let events = drain(rt, turn: try rt.say(npc, "How much is a room?"))
        #expect(events.compactMap(route) == ["remote"])
        #expect(events.last?.kind == .done && events.last?.errorKind == nil)
        #expect(events.last?.text == "Five silver a night.")
        #expect(local.prompts.isEmpty)
        #expect(rt.stats().remoteTokens == 45 && rt.stats().remoteFallbacks == 0)
    }

    static let faults: [(String, [FakeRemoteServer.Step])] = [
        ("500", FakeRemoteServer.status(500)),
        ("stall before the first byte", [.sleep(ms: 2_000)]),
        ("reset mid-stream", [FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Well, ")), .sleep(ms: 30), .reset]),
        ("malformed SSE", [FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Well, ")), .send("data: {oops\n\n")]),
        ("stall mid-stream", [FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Well, ")), .sleep(ms: 2_000)]),
        ("closed before the end", [FakeRemoteServer.sseHead(), .send(FakeRemoteServer.chunk("Well, "))]),
        ("HTML instead of SSE", [.send("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>gateway</html>")]),
    ]

    @Test(arguments: 0..<faults.count)
    func everyFaultEndsWithACompletedTurn(fault: Int) throws {
        let (name, script) = Self.faults[fault]
        let server = try FakeRemoteServer([script])
        defer { server.stop() }
        let local = ScriptedReplySource(["Mara": [[.text("the room is five silver.")]]])
        let (rt, npc, _) = try runtime(server, local: local)
        let events = drain(rt, turn: try rt.say(npc, "How much is a room?"))
        #expect(events.compactMap(route) == ["remote", "local"], "\(name)")
        let error = try #require(events.first { $0.kind == .error }, "\(name)")
        #expect(error.errorKind == .remote || error.errorKind == .network, "\(name)")
        #expect(error.text?.hasSuffix("; the local model finishes the turn") == true, "\(name)")
        let fallback = try #require(events.last { $0.kind == .route }?.text)
        #expect(fallback.contains("fallback: "), "\(name)")
        let done = try #require(events.last)
        #expect(done.kind == .done && done.errorKind == nil, "\(name)")
        // what the remote already said stays said; the local model continues it
        let spoken = events.filter { $0.kind == .text }.compactMap(\.text).joined()
        let started = spoken.hasPrefix("Well, ")
        #expect(spoken == (started ? "Well, " : "") + "the room is five silver.", "\(name)")
        #expect(local.continuations == [started ? "Well, " : ""], "\(name)")
        #expect(done.text == spoken.trimmedWhitespace, "\(name)")
        #expect(rt.stats().remoteFallbacks == 1, "\(name)")
    }

    @Test func anOpenBreakerRoutesLocallyWithoutTryingTheRemote() throws {
        let server = try FakeRemoteServer([FakeRemoteServer.status(503)])
        defer { server.stop() }
        var c = RemoteConfig(baseURL: server.url, model: "big")
        c.maxRetries = 0
        c.breakerFailures = 1
        let remote = try RemoteReplySource(config: c)
        let local = ScriptedReplySource(["Mara": [[.text("Local."), ], [.text("Local.")]]])
        let rt = try Runtime(config: RuntimeConfig(), router: PolicyRouter(), replySource: local, remote: remote)
        var config = NPCConfig(name: "Mara", persona: "An innkeeper.")
        config.policy = .remote
        let npc = try rt.createNPC(config)
        _ = drain(rt, turn: try rt.say(npc, "One."))
        #expect(server.connections == 1 && !remote.isAvailable)
        let second = drain(rt, turn: try rt.say(npc, "Two."))
        #expect(second.compactMap(route) == ["local"])
        #expect(second.first { $0.kind == .route }?.text?.contains("the remote model is unavailable") == true)
        #expect(server.connections == 1)
    }

    @Test func cancellingARemoteTurnEndsItPromptly() throws {
        let server = try FakeRemoteServer([[.sleep(ms: 5_000)]])
        defer { server.stop() }
        let local = ScriptedReplySource(["Mara": [[.text("local")]]])
        var c = RemoteConfig(baseURL: server.url, model: "big")
        c.firstByteTimeoutMs = 10_000
        let rt = try Runtime(config: RuntimeConfig(), router: PolicyRouter(), replySource: local,
                             remote: try RemoteReplySource(config: c))
        var config = NPCConfig(name: "Mara", persona: "An innkeeper.")
        config.policy = .remote
        let npc = try rt.createNPC(config)
        let turn = try rt.say(npc, "Hello?")
        usleep(200_000)
        let t0 = monotonicMs()
        rt.cancel(npc)
        let events = drain(rt, turn: turn)
        #expect(events.last?.kind == .done && events.last?.errorKind == .cancelled)
        #expect(monotonicMs() - t0 < 1_000)
        #expect(local.prompts.isEmpty)
    }
}

@Suite struct RemoteConcurrencyTests {
    /// NPC A's remote reply is slow; NPC B's, asked right after, must not wait for it.
    @Test func oneNPCsSlowRemoteDoesNotHoldAnothers() throws {
        let server = try FakeRemoteServer { request, _ in
            request.contains("Slow question")
                ? [.sleep(ms: 1_500)] + FakeRemoteServer.reply(["Slow answer."])
                : FakeRemoteServer.reply(["Quick answer."])
        }
        defer { server.stop() }
        var c = RemoteConfig(baseURL: server.url, model: "big")
        c.firstByteTimeoutMs = 5_000
        let remote = try RemoteReplySource(config: c)
        let rt = try Runtime(config: RuntimeConfig(), router: PolicyRouter(),
                             replySource: ScriptedReplySource([:]), remote: remote)
        defer { rt.shutdown() }
        var config = NPCConfig(name: "A", persona: "x")
        config.policy = .remote
        let a = try rt.createNPC(config)
        config.name = "B"
        let b = try rt.createNPC(config)
        let turnA = try rt.say(a, "Slow question?")
        usleep(100_000)  // A's request is on the wire first
        let turnB = try rt.say(b, "Quick question?")
        var doneOrder: [UInt64] = []
        var texts: [UInt64: String] = [:]
        let t0 = monotonicMs()
        while doneOrder.count < 2 && monotonicMs() - t0 < 10_000 {
            guard let e = rt.poll() else { usleep(1000); continue }
            if e.kind == .done { doneOrder.append(e.turnID); texts[e.turnID] = e.text }
        }
        #expect(doneOrder == [turnB, turnA])
        #expect(texts[turnA] == "Slow answer." && texts[turnB] == "Quick answer.")
    }
}

/// The turn's events as the game polls them, up to its DONE (or 10 s).
func turnEvents(_ rt: Runtime, turn: UInt64) -> [RuntimeEvent] {
    var out: [RuntimeEvent] = []
    let start = monotonicMs()
    while monotonicMs() - start < 10_000 {
        guard let e = rt.poll() else { usleep(1000); continue }
        guard e.turnID == turn else { continue }
        out.append(e)
        if e.kind == .done { break }
    }
    return out
}

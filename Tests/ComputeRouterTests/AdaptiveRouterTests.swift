import Testing
import NPCRuntime
@testable import ComputeRouter

@Suite struct AdaptiveRouterTests {
    func request(_ line: String, policy: RoutingPolicy = .auto, tools: Int = 0, knowledge: Int = 4, history: Int = 0,
                 remote: Bool = true) -> RouteRequest {
        RouteRequest(npcName: "Mara", policy: policy, line: line, historyExchanges: history, toolCount: tools,
                     knowledgeLines: knowledge, remoteAvailable: remote)
    }

    func remoteSource(clock: ManualClock = ManualClock()) throws -> RemoteReplySource {
        try RemoteReplySource(config: RemoteConfig(baseURL: "http://127.0.0.1:9/v1", model: "big"), clock: clock)
    }

    @Test func difficultyReadsWhatTheTurnNeeds() {
        let greeting = TurnDifficulty(request("Good evening!"))
        #expect(greeting.score == 0 && greeting.cues == ["small talk"])
        let lore = TurnDifficulty(request("Where does the ferry leave from?"))
        #expect(lore.cues == ["asks about the NPC's lore"] && lore.score == 0.3)
        let sum = TurnDifficulty(request("How much do we owe for two nights, the two of us?"))
        #expect(sum.cues == ["numbers", "counting or comparing", "asks about the NPC's lore"])
        #expect(abs(sum.score - 0.8) < 1e-9)
        let act = TurnDifficulty(request("I'll take a room for three nights.", tools: 2))
        #expect(act.cues.contains("asks the NPC to act") && act.score >= 0.5)
        // the same request to an NPC without tools is not an action
        #expect(!TurnDifficulty(request("I'll take a room for three nights.")).cues.contains("asks the NPC to act"))
        // no lore to look up: a question alone is not hard
        #expect(TurnDifficulty(request("Where is it?", knowledge: 0)).score == 0)
    }

    @Test func thresholdSplitsAutoTurns() throws {
        let router = try AdaptiveRouter(remote: try remoteSource())
        let hard = router.decide(request("If a room is six silver a night, what do two nights cost?"))
        #expect(hard.route == .remote)
        #expect(hard.reasons.count == 1 && hard.reasons[0].hasPrefix("difficulty ") && hard.reasons[0].hasSuffix(" ≥ 0.50"))
        #expect(hard.cost > 0)
        let easy = router.decide(request("Hello there!"))
        #expect(easy.route == .local && easy.reasons == ["difficulty 0.00 (small talk) < 0.50"])
        #expect(easy.cost == 0)
        var all = RouterConfig()
        all.threshold = 0
        #expect(try AdaptiveRouter(config: all, remote: try remoteSource()).decide(request("Hello there!")).route == .remote)
    }

    @Test func policyAndHealthComeFirst() throws {
        let router = try AdaptiveRouter(remote: try remoteSource())
        #expect(router.decide(request("What is 17 times 23?", policy: .local)).reasons == ["designer policy: local"])
        #expect(router.decide(request("Hello", policy: .remote)).route == .remote)
        let down = router.decide(request("What is 17 times 23?", remote: false))
        #expect(down.route == .local && down.reasons == ["auto, but the remote model is unavailable"])
        let none = try AdaptiveRouter(remote: nil).decide(request("What is 17 times 23?", policy: .remote))
        #expect(none.route == .local && none.reasons == ["designer policy: remote, but the remote model is unavailable"])
    }

    @Test func budgetsKeepTurnsLocal() throws {
        // a remote that has billed tokens: one real reply from the fake server
        let server = try FakeRemoteServer([FakeRemoteServer.reply(["Hm."])])
        defer { server.stop() }
        let clock = ManualClock()
        let remote = try RemoteReplySource(config: RemoteConfig(baseURL: server.url, model: "big"), clock: clock)
        var stream = try remote.start(ReplyRequest(npc: NPC(id: 1, config: NPCConfig(name: "Mara", persona: "x")),
                                                   messages: [ChatMessage(.user, "hi")], maxTokens: 8, sampler: SamplerConfig()))
        while try stream.next() != nil {}
        #expect(remote.spent.tokens == 45)

        var session = RouterConfig()
        session.sessionTokenBudget = 45
        let spent = try AdaptiveRouter(config: session, remote: remote).decide(request("x", policy: .remote))
        #expect(spent.route == .local && spent.reasons == ["session budget spent: 45 of 45 remote tokens"])

        var minute = RouterConfig()
        minute.tokensPerMinute = 40
        let router = try AdaptiveRouter(config: minute, remote: remote)
        #expect(router.decide(request("x", policy: .remote)).reasons == ["minute budget spent: 45 of 40 remote tokens"])
        clock.advance(ms: 60_001)
        #expect(router.decide(request("x", policy: .remote)).route == .remote)

        // on real time the first byte took more than a microsecond
        let timed = try RemoteReplySource(config: RemoteConfig(baseURL: server.url, model: "big"))
        var timedStream = try timed.start(ReplyRequest(npc: NPC(id: 1, config: NPCConfig(name: "Mara", persona: "x")),
                                                       messages: [ChatMessage(.user, "hi")], maxTokens: 8, sampler: SamplerConfig()))
        while try timedStream.next() != nil {}
        #expect((timed.typicalFirstByteMs ?? 0) > 0)
        var latency = RouterConfig()
        latency.latencyBudgetMs = 0.0001
        let slow = try AdaptiveRouter(config: latency, remote: timed).decide(request("If it costs 6, what do 2 cost?"))
        #expect(slow.route == .local && slow.reasons.first?.hasPrefix("remote replies start after") == true)
    }

    @Test func configIsValidated() {
        for bad in [Double.nan, -1, 3] {
            var c = RouterConfig()
            c.threshold = bad
            #expect(throws: RuntimeError.self) { try c.validate() }
        }
        var c = RouterConfig()
        c.sessionTokenBudget = -5
        #expect(throws: RuntimeError.self) { try c.validate() }
    }
}

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

    /// The score the weight table gives these cues.
    func expectedScore(_ cues: [String]) -> Double {
        min(1, max(0, cues.reduce(TurnDifficulty.intercept) { $0 + (TurnDifficulty.weights[$1] ?? .nan) }))
    }

    @Test func difficultyReadsWhatTheTurnNeeds() {
        let cases: [(String, Int, Int, [String])] = [
            ("Good evening!", 0, 4, ["small talk"]),
            ("Where does the ferry leave from?", 0, 4, ["asks about the NPC's lore"]),
            ("How much do we owe for two nights, the two of us?", 0, 4, ["numbers", "counting or comparing", "asks about the NPC's lore"]),
            ("I'll take a room for three nights.", 2, 4, ["numbers", "asks the NPC to act"]),
            // the same request to an NPC without tools is not an action
            ("I'll take a room for three nights.", 0, 4, ["numbers"]),
            // no lore to look up: a question alone is no cue
            ("Where is it?", 0, 0, []),
            ("Which would you pick if you were me?", 0, 0, ["inference"]),
        ]
        for (line, tools, knowledge, cues) in cases {
            let d = TurnDifficulty(request(line, tools: tools, knowledge: knowledge))
            #expect(d.cues == cues, "\(line)")
            #expect(d.score == expectedScore(cues), "\(line)")
        }
        // every cue the router can name has a weight
        // with the lore's text: a question that touches it, or one beyond it
        let lore = ["The ferry leaves from the north pier at dawn.", "Rooms cost six silver."]
        let about = TurnDifficulty(RouteRequest(npcName: "Tobin", policy: .auto, line: "Which pier does the ferry use?",
                                                historyExchanges: 0, toolCount: 0, knowledge: lore, remoteAvailable: true))
        #expect(about.cues == ["inference", "asks about the NPC's lore"])
        let beyond = TurnDifficulty(RouteRequest(npcName: "Tobin", policy: .auto, line: "Who rules the southern kingdom?",
                                                 historyExchanges: 0, toolCount: 0, knowledge: lore, remoteAvailable: true))
        #expect(beyond.cues == ["asks beyond the NPC's lore"] && beyond.score == expectedScore(beyond.cues))
        // "rooms" and "room" share a stem
        #expect(TurnDifficulty.sharesContentWord(["room"], ["Rooms cost six silver."]))
        #expect(!TurnDifficulty.sharesContentWord(["what", "about", "that"], ["What about that?"]))
        for cue in ["numbers", "counting or comparing", "inference", "asks about the NPC's lore", "asks beyond the NPC's lore", "asks the NPC to act",
                    "long line", "refers back", "small talk"] {
            #expect(TurnDifficulty.weights[cue] != nil, "\(cue)")
        }
    }

    @Test func thresholdSplitsAutoTurns() throws {
        let line = "If a room is six silver a night, what do two nights cost?"
        let score = TurnDifficulty(request(line)).score
        var at = RouterConfig()
        at.threshold = score
        let hard = try AdaptiveRouter(config: at, remote: try remoteSource()).decide(request(line))
        #expect(hard.route == .remote)
        #expect(hard.reasons.count == 1 && hard.reasons[0].hasPrefix("difficulty ") && hard.reasons[0].contains(" ≥ "))
        #expect(hard.cost > 0)
        var above = RouterConfig()
        above.threshold = score + 0.01
        let easy = try AdaptiveRouter(config: above, remote: try remoteSource()).decide(request(line))
        #expect(easy.route == .local && easy.reasons[0].contains(" < ") && easy.cost == 0)
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

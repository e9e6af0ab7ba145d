#if canImport(Glibc)
import Glibc
#endif
import Testing
import NPCRuntime
@testable import ComputeRouter

@Suite struct BridgeTests {
    @Test func anEchoedContinuationIsDroppedOnce() {
        var echo = ContinuationEcho("Hmm, let me think. ")
        #expect(echo.filter("Hmm, let") == "")
        #expect(echo.filter(" me think. \n\nSix") == " \n\nSix")
        #expect(echo.filter(" silver.") == " silver.")
        #expect(echo.flush() == "")
        var fresh = ContinuationEcho("Hmm, let me think.")
        #expect(fresh.filter("Hm") == "")
        #expect(fresh.filter("m? Six silver.") == "Hmm? Six silver.")
        var short = ContinuationEcho("Well, now.")
        #expect(short.filter("Well") == "")
        #expect(short.flush() == "Well")
        var none = ContinuationEcho("")
        #expect(none.filter("Hello") == "Hello")
    }

    /// A slow remote (by its record) gets a bridged turn: the opening is spoken
    /// at once, the remote continues it (llama.cpp's server echoes the prefill),
    /// and the player hears each word once.
    @Test func aBridgedTurnSpeaksTheOpeningThenTheRemoteContinues() throws {
        let opening = BridgeLine.pick(seed: 1 &* 31)  // runtime seed 0, NPC 1, its first turn
        let server = try FakeRemoteServer([FakeRemoteServer.reply(["Warm-up."]),
                                           FakeRemoteServer.reply([opening.trimmedWhitespace + " \n\n", "Twenty-four silver", " in all."])])
        defer { server.stop() }
        let remote = try RemoteReplySource(config: RemoteConfig(baseURL: server.url, model: "big"))
        var warm = try remote.start(ReplyRequest(npc: NPC(id: 9, config: NPCConfig(name: "W", persona: "x")),
                                                 messages: [ChatMessage(.user, "hi")], maxTokens: 8, sampler: SamplerConfig()))
        while try warm.next() != nil {}
        #expect(remote.typicalFirstByteMs != nil)

        var routing = RouterConfig()
        routing.bridgeAfterMs = 0.000_1  // any measured wait counts as slow
        routing.threshold = 0  // every auto turn escalates
        let local = ScriptedReplySource(["Mara": [[.text("local")]]])
        let rt = try Runtime(config: RuntimeConfig(), router: try AdaptiveRouter(config: routing, remote: remote),
                             replySource: local, remote: remote)
        defer { rt.shutdown() }
        var config = NPCConfig(name: "Mara", persona: "An innkeeper.")
        config.knowledge = ["A room costs six silver a night for each guest."]
        let mara = try rt.createNPC(config)
        let turn = try rt.say(mara, "If two of us stay two nights, how much do we owe?")
        let events = turnEvents(rt, turn: turn)
        let route = try JSONParser.parse(try #require(events.first { $0.kind == .route }?.text))
        #expect(route["route"]?.stringValue == "bridge")
        #expect(route["reasons"]?.arrayValue?.last?.stringValue?.hasPrefix("bridge: ") == true)
        let texts = events.filter { $0.kind == .text }.compactMap(\.text)
        #expect(texts.first == opening, "the opening comes first")
        let done = try #require(events.last)
        #expect(done.kind == .done && done.errorKind == nil)
        let words = (done.text ?? "").split(whereSeparator: \.isWhitespace)
        #expect(words == (opening + "Twenty-four silver in all.").split(whereSeparator: \.isWhitespace), "each word once")
        #expect(local.prompts.isEmpty)
        // the remote was asked to continue the opening
        let sent = try #require(server.requests.last)
        let body = try JSONParser.parse(String(sent[try #require(sent.firstRange(of: "\r\n\r\n")).upperBound...]))
        let last = try #require(body["messages"]?.arrayValue?.last)
        #expect(last["role"]?.stringValue == "assistant" && last["content"]?.stringValue == opening)
    }
}

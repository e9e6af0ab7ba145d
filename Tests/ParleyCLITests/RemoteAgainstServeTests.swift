import Foundation
import ComputeRouter
import NPCRuntime
import Testing
@testable import ParleyCLI

/// The remote client against Parley's own OpenAI-compatible server: a whole
/// remote turn with a tool call, its game-side result and the spoken outcome,
/// over real sockets in both directions.
@Suite(.serialized) struct RemoteAgainstServeTests {
    static let rentTool = #"{"type":"object","properties":{"nights":{"type":"integer","minimum":1,"maximum":7}},"required":["nights"]}"#

    @Test func aRemoteTurnCallsAToolAndSpeaksTheOutcome() throws {
        let served = ScriptedReplySource(["Assistant": [
            [.text("Let me see. "), .toolCall(ToolCall(id: "", name: "rent_room", arguments: #"{"nights": 2}"#))],
            [.text("Room seven is yours for two nights.")],
        ]])
        let harness = try ServeHarness(ChatCompletionsService(source: served, contextLength: 4096, modelID: "served.gguf"))
        var remoteConfig = RemoteConfig(baseURL: "http://127.0.0.1:\(harness.server.port)/v1", model: "served")
        remoteConfig.maxRetries = 0
        let remote = try RemoteReplySource(config: remoteConfig)
        let local = ScriptedReplySource(["Mara": [[.text("local")]]])
        let rt = try Runtime(config: RuntimeConfig(), router: try AdaptiveRouter(remote: remote), replySource: local, remote: remote)
        defer { rt.shutdown() }
        var npc = NPCConfig(name: "Mara", persona: "An innkeeper.")
        npc.policy = .remote
        npc.tools = [try ToolSpec(name: "rent_room", description: "Rent the player a room.", parametersJSON: Self.rentTool)]
        let mara = try rt.createNPC(npc)
        let turn = try rt.say(mara, "Two nights, please.")

        var events: [RuntimeEvent] = []
        let start = Date()
        while Date().timeIntervalSince(start) < 20 {
            guard let e = rt.poll() else { usleep(1000); continue }
            guard e.turnID == turn else { continue }
            events.append(e)
            if e.kind == .toolCall, let id = e.callID {
                try rt.toolResult(mara, callID: id, result: #"{"ok":true,"room":7}"#)
            }
            if e.kind == .done { break }
        }
        let call = try #require(events.first { $0.kind == .toolCall })
        #expect(call.name == "rent_room")
        #expect(try JSONParser.parse(call.text ?? "") == .object([("nights", .number(2))]))
        let done = try #require(events.last)
        #expect(done.kind == .done && done.errorKind == nil)
        #expect(done.text == "Let me see. Room seven is yours for two nights.")
        #expect(!events.contains { $0.kind == .error })
        #expect(local.prompts.isEmpty, "the local model never answered")
        // the second request carried the call and the game's result in OpenAI's shape
        let second = try #require(served.prompts.last)
        #expect(second.contains { $0.role == .tool && $0.content.contains("room: 7") })
        #expect(second.contains { $0.role == .assistant && $0.content.contains("rent_room") })
        #expect(rt.stats().remoteTokens > 0)
    }

    /// The remote client's key (RemoteConfig.apiKey / PARLEY_REMOTE_API_KEY) opens a keyed server; a wrong one is refused.
    @Test func theRemoteClientSendsTheServersKey() throws {
        let key = "sk-parley-round-trip-key"
        let served = ScriptedReplySource(["Assistant": [[.text("Come in.")]]])
        let harness = try ServeHarness(ChatCompletionsService(source: served, contextLength: 4096, modelID: "served.gguf", apiKey: key))
        let npc = NPC(id: 1, config: NPCConfig(name: "Mara", persona: "An innkeeper."))
        let request = ReplyRequest(npc: npc, messages: [ChatMessage(.user, "Hello?")], maxTokens: 16, sampler: .npcDefault)
        func reply(_ sentKey: String) throws -> String {
            var config = RemoteConfig(baseURL: "http://127.0.0.1:\(harness.server.port)/v1", model: "served", apiKey: sentKey)
            config.maxRetries = 0
            var stream = try RemoteReplySource(config: config).start(request)
            var text = ""
            while let piece = try stream.next() { if case let .text(t) = piece { text += t } }
            return text
        }
        #expect(try reply(key) == "Come in.")
        do {
            _ = try reply("sk-not-the-key-at-all")
            Issue.record("a wrong key was accepted")
        } catch {
            #expect(!"\(error)".contains(key))
        }
        #expect(served.prompts.count == 1, "the refused request never reached the model")
    }
}

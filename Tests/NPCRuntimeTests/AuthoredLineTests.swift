import Foundation
import Testing
@testable import NPCRuntime

/// Authored lines: a designer's exact reply, spoken without inference when the
/// player's line is close to its trigger; other lines go to the model as before.
@Suite struct AuthoredLineTests {
    static let room = AuthoredLine(trigger: "Do you have a room for the night?", reply: "Aye, five silver a night, breakfast included.")
    static let lighthouse = AuthoredLine(trigger: "What happened to the lighthouse?", reply: "It went dark forty years ago. Nobody speaks of why.")

    @Test func closeLinesMatchAndOthersDoNot() {
        let lines = [Self.room, Self.lighthouse]
        for close in ["do you have a room for the night", "Do you have a room for tonight?", "Do u have a room for the night??",
                      "Have you a room for the night?"] {
            #expect(AuthoredLineMatcher.match(close, in: lines)?.line == Self.room, "\(close)")
        }
        #expect(AuthoredLineMatcher.match("what happened to the light house", in: lines)?.line == Self.lighthouse)
        for other in ["Do you have any ale?", "Where is the night market?", "A room.", "What happened to your arm?", "", "???"] {
            #expect(AuthoredLineMatcher.match(other, in: lines) == nil, "\(other): \(AuthoredLineMatcher.match(other, in: lines)?.score ?? 0)")
        }
    }

    func drain(_ rt: Runtime, _ turn: UInt64) -> [RuntimeEvent] {
        var out: [RuntimeEvent] = []
        let start = monotonicMs()
        while monotonicMs() - start < 10_000 {
            guard let e = rt.poll() else { usleep(500); continue }
            guard e.turnID == turn else { continue }
            out.append(e)
            if e.kind == .done { break }
        }
        return out
    }

    @Test func anAuthoredTurnSkipsTheModelAndIsRemembered() throws {
        let model = ScriptedReplySource(["Mara": [[.text("From the model.")]]])
        let rt = try Runtime(config: RuntimeConfig(), replySource: model)
        var config = NPCConfig(name: "Mara", persona: "Innkeeper.")
        config.authored = [Self.room]
        let npc = try rt.createNPC(config)
        let events = drain(rt, try rt.say(npc, "Do you have a room for tonight?"))
        let route = try #require(events.first { $0.kind == .route }?.text)
        #expect(try JSONParser.parse(route)["route"]?.stringValue == "authored")
        #expect(events.filter { $0.kind == .text }.compactMap(\.text).joined() == Self.room.reply)
        #expect(events.last?.kind == .done && events.last?.errorKind == nil && events.last?.text == Self.room.reply)
        #expect(model.prompts.isEmpty)
        #expect(npc.history.map(\.content) == ["Do you have a room for tonight?", Self.room.reply])

        let other = drain(rt, try rt.say(npc, "Any ale?"))
        #expect(other.last?.text == "From the model.")
        #expect(model.prompts.count == 1)
    }

    @Test func authoredLinesAreBoundedAndSaved() throws {
        var config = NPCConfig(name: "Mara", persona: "")
        config.authored = Array(repeating: Self.room, count: NPCLimits.authoredLines.upperBound + 1)
        #expect(throws: RuntimeError.self) { try config.validate() }
        config.authored = [AuthoredLine(trigger: "", reply: "x")]
        #expect(throws: RuntimeError.self) { try config.validate() }
        config.authored = [Self.room, Self.lighthouse]
        let decoded = try NPCSnapshot.decode(NPCSnapshot.encode(NPC(id: 1, config: config)))
        #expect(decoded.config.authored == [Self.room, Self.lighthouse])
    }
}

import Testing
import Foundation
@testable import NPCRuntime

@Suite struct NPCSnapshotTests {
    func sampleNPC() -> NPC {
        var c = NPCConfig(name: "Mara", persona: "Innkeeper; says \"aye\".\nWarm.")
        c.knowledge = ["The lighthouse went dark forty years ago.", "Rooms: five silver."]
        c.voice.rate = 1.25
        c.voice.noiseW = 0.3
        c.position = (2, 0, -3)
        c.policy = .local
        c.maxReplyTokens = 64
        c.sampler.seed = 12345678901234
        c.examples = [DialogueExample(player: "A room?", reply: "Five silver, love.")]
        let npc = NPC(id: 7, config: c)
        npc.restore(history: [ChatMessage(.user, "Hi, I'm Aldric."), ChatMessage(.assistant, "Welcome, Aldric!")],
                    summary: "the player said \"hello\"", turnCount: 3)
        return npc
    }

    @Test func roundTrips() throws {
        let npc = sampleNPC()
        let d = try NPCSnapshot.decode(NPCSnapshot.encode(npc))
        #expect(d.config == npc.config)
        #expect(d.config.sampler.seed == 12345678901234)
        #expect(d.history == npc.history)
        #expect(d.summary == npc.summary)
        #expect(d.turns == 3)
        #expect(d.config.examples == [DialogueExample(player: "A room?", reply: "Five silver, love.")])
    }

    /// Sample exchanges open the conversation, after the system message and before history.
    @Test func examplesOpenTheConversation() {
        let messages = sampleNPC().messages(adding: [ChatMessage(.user, "Any news?")])
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user, .assistant, .user])
        #expect(messages[1].content == "A room?" && messages[2].content == "Five silver, love.")
        #expect(messages[3].content == "Hi, I'm Aldric.")
    }

    @Test func examplesAreBounded() {
        var c = NPCConfig(name: "Mara", persona: "")
        c.examples = Array(repeating: DialogueExample(player: "hi", reply: "hello"), count: NPCLimits.examples.upperBound + 1)
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.examples = [DialogueExample(player: "", reply: "hello")]
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.examples = [DialogueExample(player: "hi", reply: String(repeating: "x", count: 5000))]
        #expect(throws: RuntimeError.self) { try c.validate() }
    }

    @Test func rejectsDamagedData() {
        let bytes = NPCSnapshot.encode(sampleNPC())
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: RuntimeError.self) { try NPCSnapshot.decode(Array(bytes[..<cut])) }
        }
        var wrongVersion = String(decoding: bytes, as: UTF8.self)
        wrongVersion = wrongVersion.replacingOccurrences(of: "\"version\":1", with: "\"version\":99")
        #expect(throws: RuntimeError.self) { try NPCSnapshot.decode(Array(wrongVersion.utf8)) }
        #expect(throws: RuntimeError.self) { try NPCSnapshot.decode(Array("{\"format\":\"other\"}".utf8)) }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<500 {
            var mutated = bytes
            for _ in 0..<3 { mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? NPCSnapshot.decode(mutated)  // must not crash; may or may not parse
        }
    }
}

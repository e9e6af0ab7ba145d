import Testing
@testable import NPCRuntime

/// `Runtime.preload`: earlier exchanges become the NPC's conversation, only before its first turn.
@Suite struct RuntimePreloadTests {
    @Test func historyBecomesTheConversation() throws {
        let rt = try Runtime(config: RuntimeConfig())
        defer { rt.shutdown() }
        let npc = try rt.createNPC(NPCConfig(name: "Mara", persona: "Innkeeper."))
        try rt.preload(npc, history: [(player: "Evening.", npc: "Evening, love."),
                                      (player: "A room?", npc: "Five silver.")])
        #expect(npc.history == [ChatMessage(.user, "Evening."), ChatMessage(.assistant, "Evening, love."),
                                ChatMessage(.user, "A room?"), ChatMessage(.assistant, "Five silver.")])
        #expect(npc.turnCount == 2)
        let messages = npc.messages(adding: [ChatMessage(.user, "Thanks.")])
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user, .assistant, .user])
        // once it has a conversation, no second preload
        #expect(throws: RuntimeError.self) { try rt.preload(npc, history: [(player: "x", npc: "y")]) }
    }

    @Test func linesAreBounded() throws {
        let rt = try Runtime(config: RuntimeConfig())
        defer { rt.shutdown() }
        let npc = try rt.createNPC(NPCConfig(name: "Mara", persona: "Innkeeper."))
        let long = String(repeating: "a", count: NPCLimits.playerLineBytes.upperBound + 1)
        #expect(throws: RuntimeError.self) { try rt.preload(npc, history: [(player: long, npc: "y")]) }
        #expect(npc.history.isEmpty)
    }
}

import Testing
@testable import NPCRuntime

/// Per-turn lore: a large lore sends only the lines a turn needs, after the
/// cached prefix; a small lore stays whole in the system prompt.
@Suite struct KnowledgeSelectionTests {
    static let lore = [
        "A room costs five silver a night; breakfast is included.",
        "The lighthouse went dark forty years ago, the night the keeper vanished.",
        "Brom the blacksmith forges swords for twelve silver each.",
        "The ferry to Gullrock leaves at dawn on market days.",
        "Wolves have been taking sheep on the north pasture since spring.",
        "The mayor, Edda Vell, lives in the house with the blue door.",
        "Ale costs two copper a mug; the dark ale is brewed in the cellar.",
        "The old mine in Greyhill closed after a cave-in ten years ago.",
        "Travellers say a witch lives in the Hollow Wood.",
        "The harvest festival is in three weeks, on the first full moon.",
    ]

    @Test func picksTheLinesAQuestionIsAbout() {
        #expect(KnowledgeSelection.select(Self.lore, line: "How much for a room tonight?").first == Self.lore[0])
        #expect(KnowledgeSelection.select(Self.lore, line: "What happened to the lighthouse?").contains(Self.lore[1]))
        #expect(KnowledgeSelection.select(Self.lore, line: "Where does the mayor live?").first == Self.lore[5])
        #expect(KnowledgeSelection.select(Self.lore, line: "When does the ferry leave?") == [Self.lore[3]])
        let wolves = KnowledgeSelection.select(Self.lore, line: "Any trouble with wolves lately?")
        #expect(wolves == [Self.lore[4]])
    }

    @Test func aFollowUpUsesThePreviousLine() {
        let picked = KnowledgeSelection.select(Self.lore, line: "And how much does it cost?", previousLine: "Tell me about the ale.")
        #expect(picked.contains(Self.lore[6]))
    }

    @Test func boundedAndInTheDesignersOrder() {
        let picked = KnowledgeSelection.select(Self.lore, line: "room night lighthouse ferry wolves mayor ale mine witch festival")
        #expect(picked.count == KnowledgeSelection.linesPerTurn)
        let positions: [Int] = picked.compactMap { Self.lore.firstIndex(of: $0) }
        #expect(positions == positions.sorted())
        #expect(KnowledgeSelection.select(Self.lore, line: "Hello!").isEmpty)
        #expect(KnowledgeSelection.select([], line: "room").isEmpty)
    }

    @Test func theLinesATurnNeedsGoAfterTheCachedPrefix() throws {
        var config = NPCConfig(name: "Mara", persona: "Innkeeper.")
        config.knowledge = Self.lore
        let npc = NPC(id: 1, config: config)
        let turn = Turn(id: 1, npc: npc, line: "How much is a room?", sayTimeMs: 0)
        let messages = PromptAssembly.request(for: turn).messages
        #expect(!messages[0].content.contains("five silver"))
        #expect(messages.count == 3)
        #expect(messages[1].role == .system)
        #expect(messages[2].content == "How much is a room?")
        #expect(messages[1].content.contains("five silver"))

        config.knowledge = Array(Self.lore.prefix(KnowledgeSelection.allInPromptLines))
        let small = NPC(id: 2, config: config)
        let whole = PromptAssembly.request(for: Turn(id: 2, npc: small, line: "How much is a room?", sayTimeMs: 0)).messages
        #expect(whole.count == 2)
        #expect(whole[0].content.contains("five silver"))
        #expect(whole[0].content.contains("Greyhill"))
        // a line the lore has nothing for adds no note
        var large = config
        large.knowledge = Self.lore
        let none = PromptAssembly.request(for: Turn(id: 3, npc: NPC(id: 3, config: large), line: "Hello there!", sayTimeMs: 0)).messages
        #expect(none.count == 2)
    }

    @Test func aTurnsNoteStaysWithItsExchangeSoTheNextPromptExtendsThisOne() throws {
        var config = NPCConfig(name: "Mara", persona: "Innkeeper.")
        config.knowledge = Self.lore
        let npc = NPC(id: 1, config: config)
        let first = Turn(id: 1, npc: npc, line: "How much is a room?", sayTimeMs: 0)
        let m1 = PromptAssembly.request(for: first).messages
        npc.record(user: first.line, note: first.factsNote, reply: "Five silver.", stats: TurnStats())
        let m2 = PromptAssembly.request(for: Turn(id: 2, npc: npc, line: "Thanks!", sayTimeMs: 0)).messages
        #expect(Array(m2.prefix(m1.count)) == m1)
        #expect(m2[m1.count].content == "Five silver.")
        // dropping the oldest exchange drops its note with it
        #expect(npc.dropOldestExchange())
        #expect(npc.history.isEmpty)
    }
}

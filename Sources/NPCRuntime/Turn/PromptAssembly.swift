/// The first stage of a turn: the prompt as messages — the NPC's persona and
/// lore (system), the summary of dropped exchanges, the sample exchanges, the
/// conversation, the lore lines this turn needs (for a large lore), the player's
/// line and the turn's tool steps so far.
enum PromptAssembly {
    static let factsHeading = "What you know that matters here (say it exactly as written):\n"
    static let afterToolResult = "(Now tell the player what happened, in character, in one or two spoken sentences. Do not repeat this result as data.)"

    /// For a lore larger than the system prompt holds: the lines a turn needs, after
    /// the cached prefix and next to the question. (Repeating the best lines of a
    /// small lore there as well cost first audio twice over — 25 more tokens to
    /// prefill each turn — for a gain within sampling noise; see BENCHMARKS.md.)
    static func factsNote(for npc: NPC, line: String) -> ChatMessage? {
        let knowledge = npc.config.knowledge
        guard knowledge.count > KnowledgeSelection.allInPromptLines else { return nil }
        let previous = npc.history.last { $0.role == .user }?.content
        let facts = KnowledgeSelection.select(knowledge, line: line, previousLine: previous)
        return facts.isEmpty ? nil : ChatMessage(.system, factsHeading + facts.map { "- " + $0 }.joined(separator: "\n"))
    }

    static func request(for turn: Turn) -> ReplyRequest {
        let npc = turn.npc
        let config = npc.config
        var tail = [ChatMessage(.user, turn.line)] + turn.toolSteps
        if let note = turn.factsNote { tail.insert(note, at: 0) }
        // After the game's answer the NPC tells the player what happened; small
        // models otherwise tend to echo the result's JSON.
        if let last = tail.last, last.role == .tool {
            tail[tail.count - 1].content = ToolFormat.resultForModel(last.content) + "\n" + afterToolResult
        }
        var request = ReplyRequest(npc: npc, messages: npc.messages(adding: tail),
                                   shorten: { npc.dropOldestExchange() ? npc.messages(adding: tail) : nil },
                                   maxTokens: config.maxReplyTokens, sampler: config.sampler)
        switch turn.plan {
        case .undecided: break
        case .talk: request.decidesAction = false
        case .call(let tool):
            request.decidesAction = false
            if turn.toolSteps.isEmpty { request.requiredTools = [tool] }
        }
        return request
    }
}

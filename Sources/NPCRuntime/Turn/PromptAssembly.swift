/// The first stage of a turn: the prompt as messages — the NPC's persona and
/// lore (system), the summary of dropped exchanges, the conversation, the
/// player's line and the turn's tool steps so far.
enum PromptAssembly {
    static let afterToolResult = "(Now tell the player what happened, in character, in one or two spoken sentences. Do not repeat this result as data.)"

    static func request(for turn: Turn) -> ReplyRequest {
        let npc = turn.npc
        let config = npc.config
        var tail = [ChatMessage(.user, turn.line)] + turn.toolSteps
        // After the game's answer the NPC tells the player what happened; small
        // models otherwise tend to echo the result's JSON.
        if let last = tail.last, last.role == .tool {
            tail[tail.count - 1].content = ToolFormat.resultForModel(last.content) + "\n" + afterToolResult
        }
        return ReplyRequest(npc: npc, messages: npc.messages(adding: tail),
                            shorten: { npc.dropOldestExchange() ? npc.messages(adding: tail) : nil },
                            maxTokens: config.maxReplyTokens, sampler: config.sampler)
    }
}
